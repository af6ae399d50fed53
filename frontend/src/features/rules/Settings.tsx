import { Button, JsonInput, Modal, Stack, Table, Text } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { api, unwrap } from "../../api/client";
import { ErrorAlert, Loading } from "../../components/Common";
import { fieldErrors, FormFooter } from "./fieldErrors";

const show = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value, null, 2));

/** One setting's value as JSON, checked by the API against the key's model (a refused value is explained
 * under the field); the change lands in the change log like every rule. */
function SettingForm({ name, value, onDone }: { name: string; value: unknown; onDone: () => void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [text, setText] = useState(JSON.stringify(value, null, 2));
  const save = useMutation({
    mutationFn: async (parsed: unknown) => unwrap(await api.PUT("/api/settings/{key}", {
      params: { path: { key: name as never } }, body: { value: parsed } as never })),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ["settings"] });
      await queryClient.invalidateQueries({ queryKey: ["config-changes"] });
      onDone();
    },
  });
  const errors = fieldErrors(save.error, ["value"]);
  const submit = () => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return; // the field already says so (JsonInput checks on blur); nothing is sent
    }
    save.mutate(parsed);
  };
  return (
    <form onSubmit={(e) => { e.preventDefault(); submit(); }}>
      <Stack>
        <JsonInput label={t("rules.settingValue")} value={text} onChange={setText} autosize minRows={3} maxRows={18}
          formatOnBlur validationError={t("rules.settingNotJson")} error={errors.value} data-autofocus styles={{ input: { fontFamily: "monospace" } }} />
        <FormFooter errors={errors} saving={save.isPending} onCancel={onDone} />
      </Stack>
    </form>
  );
}

export function Settings({ editable }: { editable: boolean }) {
  const { t } = useTranslation();
  const [editing, setEditing] = useState<string | null>(null);
  const settings = useQuery({ queryKey: ["settings"],
    queryFn: async () => unwrap(await api.GET("/api/settings")) as unknown as Record<string, unknown> });
  if (settings.isLoading) return <Loading />;
  if (settings.error) return <ErrorAlert error={settings.error} />;
  const items = Object.entries(settings.data ?? {});  // GET /api/settings: every stored value by key
  return (
    <Stack>
      {editable && <Text size="sm" c="dimmed">{t("rules.settingsHelp")}</Text>}
      <Table striped aria-label={t("rules.settings")}><Table.Tbody>{items.map(([key, value]) => (
        <Table.Tr key={key}>
          <Table.Td fw={600} style={{ verticalAlign: "top" }}>{key}</Table.Td>
          <Table.Td><Text size="sm" style={{ whiteSpace: "pre-wrap", fontFamily: typeof value === "string" ? undefined : "monospace" }}>{show(value)}</Text></Table.Td>
          <Table.Td style={{ verticalAlign: "top" }}>{editable && (
            <Button size="compact-xs" variant="light" onClick={() => setEditing(key)}
              aria-label={t("rules.editSetting", { key })}>{t("rules.edit")}</Button>
          )}</Table.Td>
        </Table.Tr>
      ))}</Table.Tbody></Table>
      <Modal opened={editing !== null} onClose={() => setEditing(null)} size="lg"
        title={t("rules.editSettingTitle", { key: editing ?? "" })}>
        {editing !== null && <SettingForm name={editing} value={items.find(([k]) => k === editing)?.[1]}
          onDone={() => setEditing(null)} />}
      </Modal>
    </Stack>
  );
}
