import { useState } from "react";
import { Badge, Button, Group, Modal, Select, Stack, Table, Text, TextInput } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { api, unwrap } from "../../api/client";
import type { Schemas } from "../../api/types";
import { ErrorAlert, Loading } from "../../components/Common";
import { ConfirmDelete } from "./ConfirmDelete";
import { fieldErrors, FormFooter } from "./fieldErrors";

type Row = Schemas["ClassificationOut"];
const FIELDS = ["project_key", "classification", "note"] as const;
const KINDS = ["billable", "internal", "overhead"] as const;
const COLORS: Record<string, string> = { billable: "green", internal: "gray", overhead: "orange" };

function ClassificationForm({ row, onDone }: { row: Row | null; onDone: () => void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [projectKey, setProjectKey] = useState(row?.project_key ?? "");
  const [classification, setClassification] = useState<string | null>(row?.classification ?? "internal");
  const [note, setNote] = useState(row?.note ?? "");
  const save = useMutation({
    mutationFn: async () => unwrap(await api.PUT("/api/project-classifications/{project_key}", {
      params: { path: { project_key: projectKey.trim() } }, body: { classification: classification ?? "", note } })),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ["classifications"] });
      await queryClient.invalidateQueries({ queryKey: ["config-changes"] });
      onDone();
    },
  });
  const errors = fieldErrors(save.error, FIELDS);
  return (
    <form onSubmit={(e) => { e.preventDefault(); save.mutate(); }}>
      <Stack>
        <TextInput label={t("rules.field.project_key")} value={projectKey} disabled={!!row} required error={errors.project_key}
          placeholder="PROJ" onChange={(e) => setProjectKey(e.currentTarget.value.toUpperCase())} />
        <Select label={t("rules.field.classification")} value={classification} onChange={setClassification} error={errors.classification}
          data={KINDS.map((k) => ({ value: k, label: t(`rules.kind.${k}`) }))} allowDeselect={false} />
        <TextInput label={t("rules.field.note")} value={note} error={errors.note} onChange={(e) => setNote(e.currentTarget.value)} />
        <FormFooter errors={errors} saving={save.isPending} onCancel={onDone} disabled={!projectKey.trim()} />
      </Stack>
    </form>
  );
}

/** Jira projects classified internal/overhead are left out of invoices (billable is the default). */
export function Classifications({ editable }: { editable: boolean }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState<Row | "new" | null>(null);
  const [deleting, setDeleting] = useState<Row | null>(null);
  const list = useQuery({ queryKey: ["classifications"], queryFn: async () => unwrap(await api.GET("/api/project-classifications")) });
  const remove = useMutation({
    mutationFn: async (row: Row) => unwrap(await api.DELETE("/api/project-classifications/{project_key}", { params: { path: { project_key: row.project_key } } })),
    onSuccess: async () => {
      setDeleting(null);
      await queryClient.invalidateQueries({ queryKey: ["classifications"] });
      await queryClient.invalidateQueries({ queryKey: ["config-changes"] });
    },
  });
  if (list.isPending) return <Loading />;
  return (
    <Stack>
      <Group justify="space-between">
        <Text size="sm" c="dimmed">{t("rules.projectsHelp")}</Text>
        {editable && <Button onClick={() => setEditing("new")}>{t("rules.addClassification")}</Button>}
      </Group>
      <ErrorAlert error={list.error ?? remove.error} />
      <Table striped aria-label={t("rules.projects")}>
        <Table.Thead><Table.Tr><Table.Th>{t("rules.field.project_key")}</Table.Th><Table.Th>{t("rules.field.classification")}</Table.Th><Table.Th>{t("rules.field.note")}</Table.Th>{editable && <Table.Th />}</Table.Tr></Table.Thead>
        <Table.Tbody>{list.data?.items.map((c) => (
          <Table.Tr key={c.project_key}>
            <Table.Td>{c.project_key}</Table.Td>
            <Table.Td><Badge variant="light" color={COLORS[c.classification]}>{t(`rules.kind.${c.classification}`)}</Badge></Table.Td>
            <Table.Td>{c.note}</Table.Td>
            {editable && <Table.Td style={{ whiteSpace: "nowrap" }} ta="right">
              <Button size="compact-sm" variant="subtle" aria-label={t("rules.editClassification", { key: c.project_key })} onClick={() => setEditing(c)}>{t("rules.edit")}</Button>
              <Button size="compact-sm" variant="subtle" color="red" aria-label={t("rules.deleteClassification", { key: c.project_key })} onClick={() => setDeleting(c)}>{t("rules.delete")}</Button>
            </Table.Td>}
          </Table.Tr>
        ))}</Table.Tbody>
      </Table>
      {list.data?.items.length === 0 && <Text c="dimmed">{t("rules.noClassifications")}</Text>}
      <Modal opened={editing !== null} onClose={() => setEditing(null)} title={t(editing === "new" ? "rules.addClassification" : "rules.editClassificationTitle")}>
        {editing !== null && <ClassificationForm row={editing === "new" ? null : editing} onDone={() => setEditing(null)} />}
      </Modal>
      <ConfirmDelete opened={deleting !== null} onClose={() => setDeleting(null)} pending={remove.isPending}
        onConfirm={() => deleting && remove.mutate(deleting)} text={t("rules.deleteClassificationConfirm", { key: deleting?.project_key })} />
    </Stack>
  );
}
