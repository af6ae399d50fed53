import { Button, Group, Modal, Stack, Text } from "@mantine/core";
import { useTranslation } from "react-i18next";

export function ConfirmDelete({ opened, onClose, onConfirm, pending, text }:
  { opened: boolean; onClose: () => void; onConfirm: () => void; pending: boolean; text: string }) {
  const { t } = useTranslation();
  return (
    <Modal opened={opened} onClose={onClose} title={t("rules.deleteTitle")}>
      <Stack>
        <Text size="sm">{text}</Text>
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>{t("app.cancel")}</Button>
          <Button color="red" loading={pending} onClick={onConfirm}>{t("rules.delete")}</Button>
        </Group>
      </Stack>
    </Modal>
  );
}
