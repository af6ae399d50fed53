import { useState } from "react";
import { Button, Group, Modal, Select, SimpleGrid, Stack, Table, Text, TextInput } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { api, unwrap } from "../../api/client";
import type { Schemas } from "../../api/types";
import { ErrorAlert, Loading } from "../../components/Common";
import { formatDate } from "../../lib/format";
import { useClients } from "../invoices/api";
import { ConfirmDelete } from "./ConfirmDelete";
import { fieldErrors, FormFooter, inForce, orNull } from "./fieldErrors";

type Row = Schemas["ExclusionOut"];
const FIELDS = ["account_id", "application_key", "effective_from", "effective_to", "reason"] as const;

function ExclusionForm({ onDone }: { onDone: () => void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const clients = useClients();
  const [v, setV] = useState({ account_id: "", application_key: null as string | null, effective_from: "", effective_to: "", reason: "" });
  const save = useMutation({
    mutationFn: async () => unwrap(await api.POST("/api/employee-exclusions", { body: {
      account_id: v.account_id.trim(), application_key: v.application_key, effective_from: orNull(v.effective_from),
      effective_to: orNull(v.effective_to), reason: v.reason.trim() } as never })),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ["exclusions"] });
      await queryClient.invalidateQueries({ queryKey: ["config-changes"] });
      onDone();
    },
  });
  const errors = fieldErrors(save.error, FIELDS);
  const set = (k: keyof typeof v) => (e: React.ChangeEvent<HTMLInputElement>) => { const x = e.currentTarget.value; setV((o) => ({ ...o, [k]: x })); };
  return (
    <form onSubmit={(e) => { e.preventDefault(); save.mutate(); }}>
      <Stack>
        <TextInput label={t("rules.field.account_id")} required value={v.account_id} error={errors.account_id} onChange={set("account_id")} />
        <Select label={t("rules.field.application_key")} clearable searchable placeholder={t("rules.allClients")} value={v.application_key}
          error={errors.application_key} onChange={(x) => setV((o) => ({ ...o, application_key: x }))}
          data={(clients.data?.items ?? []).map((c) => ({ value: c.application_key, label: `${c.customer_name} — ${c.application_key}` }))} />
        <SimpleGrid cols={2}>
          <TextInput type="date" label={t("rules.field.effective_from")} value={v.effective_from} error={errors.effective_from} onChange={set("effective_from")} />
          <TextInput type="date" label={t("rules.field.effective_to")} value={v.effective_to} error={errors.effective_to} onChange={set("effective_to")} />
        </SimpleGrid>
        <TextInput label={t("rules.field.reason")} required value={v.reason} error={errors.reason} onChange={set("reason")} />
        <FormFooter errors={errors} saving={save.isPending} onCancel={onDone} />
      </Stack>
    </form>
  );
}

/** Employees whose time is never billed (to every client, or to one). Added or removed, never edited. */
export function Exclusions({ editable }: { editable: boolean }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const queryClient = useQueryClient();
  const [adding, setAdding] = useState(false);
  const [deleting, setDeleting] = useState<Row | null>(null);
  const list = useQuery({ queryKey: ["exclusions"], queryFn: async () => unwrap(await api.GET("/api/employee-exclusions")) });
  const remove = useMutation({
    mutationFn: async (row: Row) => unwrap(await api.DELETE("/api/employee-exclusions/{exclusion_id}", { params: { path: { exclusion_id: String(row.id) } } })),
    onSuccess: async () => {
      setDeleting(null);
      await queryClient.invalidateQueries({ queryKey: ["exclusions"] });
      await queryClient.invalidateQueries({ queryKey: ["config-changes"] });
    },
  });
  if (list.isPending) return <Loading />;
  return (
    <Stack>
      <Group justify="space-between">
        <Text size="sm" c="dimmed">{t("rules.exclusionsHelp")}</Text>
        {editable && <Button onClick={() => setAdding(true)}>{t("rules.addExclusion")}</Button>}
      </Group>
      <ErrorAlert error={list.error ?? remove.error} />
      <Table striped aria-label={t("rules.exclusions")}>
        <Table.Thead><Table.Tr><Table.Th>{t("rules.field.account_id")}</Table.Th><Table.Th>{t("rules.field.application_key")}</Table.Th><Table.Th>{t("rules.effective")}</Table.Th><Table.Th>{t("rules.field.reason")}</Table.Th>{editable && <Table.Th />}</Table.Tr></Table.Thead>
        <Table.Tbody>{list.data?.items.map((x) => (
          <Table.Tr key={x.id}>
            <Table.Td>{x.account_id}</Table.Td><Table.Td>{x.application_key ?? t("rules.allClients")}</Table.Td>
            <Table.Td style={{ whiteSpace: "nowrap" }}>{inForce(t, x.effective_from, x.effective_to, (d) => formatDate(d, lang))}</Table.Td>
            <Table.Td>{x.reason}</Table.Td>
            {editable && <Table.Td ta="right"><Button size="compact-sm" variant="subtle" color="red" aria-label={t("rules.deleteExclusion", { who: x.account_id })} onClick={() => setDeleting(x)}>{t("rules.delete")}</Button></Table.Td>}
          </Table.Tr>
        ))}</Table.Tbody>
      </Table>
      {list.data?.items.length === 0 && <Text c="dimmed">{t("rules.noExclusions")}</Text>}
      <Modal opened={adding} onClose={() => setAdding(false)} title={t("rules.addExclusion")}>
        {adding && <ExclusionForm onDone={() => setAdding(false)} />}
      </Modal>
      <ConfirmDelete opened={deleting !== null} onClose={() => setDeleting(null)} pending={remove.isPending}
        onConfirm={() => deleting && remove.mutate(deleting)} text={t("rules.deleteExclusionConfirm", { who: deleting?.account_id })} />
    </Stack>
  );
}
