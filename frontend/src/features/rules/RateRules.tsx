import { useState } from "react";
import { Button, Group, Modal, Select, SimpleGrid, Stack, Table, Text, TextInput } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { api, unwrap } from "../../api/client";
import type { Schemas } from "../../api/types";
import { ErrorAlert } from "../../components/Common";
import { formatDate, formatDecimal } from "../../lib/format";
import { useClients } from "../invoices/api";
import { ConfirmDelete } from "./ConfirmDelete";
import { fieldErrors, FormFooter, inForce, minutesOrNull, orNull } from "./fieldErrors";

type Rule = Schemas["RateRuleOut"];
const FIELDS = ["account_id", "issue_type", "priority", "rate", "multiplier", "min_billable_minutes",
  "rounding_increment_minutes", "effective_from", "effective_to", "note"] as const;
type Field = (typeof FIELDS)[number];
type Values = Record<Field, string>;

const text = (v: unknown) => (v === null || v === undefined ? "" : String(v));
// "1.5000" (the column's 4 places) is shown as "1.5"; the rate keeps its 2 places as money does
const trimmed = (v: string) => (v.includes(".") ? v.replace(/\.?0+$/, "") : v);
const fromRule = (r: Rule | null): Values => Object.fromEntries(FIELDS.map((f) => [f, f === "multiplier" ? trimmed(text(r?.[f])) : text(r?.[f])])) as Values;

function body(values: Values) {
  return {
    account_id: orNull(values.account_id), issue_type: orNull(values.issue_type), priority: orNull(values.priority),
    rate: orNull(values.rate), multiplier: orNull(values.multiplier),
    min_billable_minutes: minutesOrNull(values.min_billable_minutes),
    rounding_increment_minutes: minutesOrNull(values.rounding_increment_minutes),
    effective_from: orNull(values.effective_from), effective_to: orNull(values.effective_to), note: values.note,
  };
}

function RuleForm({ app, rule, onDone }: { app: string; rule: Rule | null; onDone: () => void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [values, setValues] = useState<Values>(fromRule(rule));
  const save = useMutation({
    mutationFn: async () => {
      // the body is typed loosely on purpose: a value the API refuses (minutes as text) must reach it to be named
      const sent = body(values) as never;
      return rule
        ? unwrap(await api.PATCH("/api/rate-rules/{rule_id}", { params: { path: { rule_id: String(rule.id) } }, body: sent }))
        : unwrap(await api.POST("/api/applications/{application_key}/rate-rules", { params: { path: { application_key: app } }, body: sent }));
    },
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ["rate-rules", app] });
      await queryClient.invalidateQueries({ queryKey: ["config-changes"] });
      onDone();
    },
  });
  const errors = fieldErrors(save.error, FIELDS);
  const input = (f: Field, props: Record<string, unknown> = {}) => (
    <TextInput label={t(`rules.field.${f}`)} value={values[f]} error={errors[f]}
      onChange={(e) => { const v = e.currentTarget.value; setValues((old) => ({ ...old, [f]: v })); }} {...props} />
  );
  return (
    <form onSubmit={(e) => { e.preventDefault(); save.mutate(); }}>
      <Stack>
        <Text size="sm" c="dimmed">{t("rules.ruleHelp")}</Text>
        <SimpleGrid cols={3}>
          {input("account_id", { placeholder: t("rules.anyone") })}
          {input("issue_type", { placeholder: t("rules.any") })}
          {input("priority", { placeholder: t("rules.any") })}
        </SimpleGrid>
        <SimpleGrid cols={2}>
          {input("rate", { placeholder: t("rules.contractRate"), inputMode: "decimal" })}
          {input("multiplier", { placeholder: "1", inputMode: "decimal" })}
          {input("min_billable_minutes", { inputMode: "numeric" })}
          {input("rounding_increment_minutes", { inputMode: "numeric" })}
          {input("effective_from", { type: "date" })}
          {input("effective_to", { type: "date" })}
        </SimpleGrid>
        {input("note")}
        <FormFooter errors={errors} saving={save.isPending} onCancel={onDone} />
      </Stack>
    </form>
  );
}

/** Rate rules of one client: read by everyone, added, changed and removed by an accountant or admin. */
export function RateRules({ editable }: { editable: boolean }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const queryClient = useQueryClient();
  const clients = useClients();
  const [app, setApp] = useState<string | null>(null);
  const [editing, setEditing] = useState<Rule | "new" | null>(null);
  const [deleting, setDeleting] = useState<Rule | null>(null);
  const rules = useQuery({
    queryKey: ["rate-rules", app], enabled: !!app,
    queryFn: async () => unwrap(await api.GET("/api/applications/{application_key}/rate-rules", { params: { path: { application_key: app! } } })),
  });
  const remove = useMutation({
    mutationFn: async (rule: Rule) => unwrap(await api.DELETE("/api/rate-rules/{rule_id}", { params: { path: { rule_id: String(rule.id) } } })),
    onSuccess: async () => {
      setDeleting(null);
      await queryClient.invalidateQueries({ queryKey: ["rate-rules", app] });
      await queryClient.invalidateQueries({ queryKey: ["config-changes"] });
    },
  });
  const current = (clients.data?.items ?? []).find((c) => c.application_key === app);
  const minutes = (v: number | null) => (v === null ? "—" : t("rules.minutes", { count: v }));
  return (
    <Stack>
      <Group align="flex-end">
        <Select label={t("wizard.client")} searchable w={480} value={app} onChange={setApp}
          data={(clients.data?.items ?? []).map((c) => ({ value: c.application_key, label: `${c.customer_name} — ${c.application_key}` }))} />
        {editable && app && <Button onClick={() => setEditing("new")}>{t("rules.addRule")}</Button>}
      </Group>
      {current?.hourly_rate && <Text size="sm" c="dimmed">{t("rules.contractRateIs", { rate: formatDecimal(current.hourly_rate, lang), currency: current.currency })}</Text>}
      <ErrorAlert error={rules.error ?? remove.error} />
      {rules.data && rules.data.items.length > 0 && (
        <Table striped aria-label={t("rules.rates")}>
          <Table.Thead><Table.Tr>
            <Table.Th>{t("rules.who")}</Table.Th><Table.Th>{t("rules.issueType")}</Table.Th><Table.Th>{t("rules.field.priority")}</Table.Th>
            <Table.Th ta="right">{t("rules.rate")}{current ? `, ${current.currency}` : ""}</Table.Th><Table.Th ta="right">{t("rules.field.multiplier")}</Table.Th>
            <Table.Th>{t("rules.minutesColumn")}</Table.Th><Table.Th>{t("rules.effective")}</Table.Th><Table.Th>{t("rules.field.note")}</Table.Th>
            {editable && <Table.Th />}
          </Table.Tr></Table.Thead>
          <Table.Tbody>{rules.data.items.map((r) => (
            <Table.Tr key={r.id}>
              <Table.Td>{r.account_id ?? t("rules.anyone")}</Table.Td><Table.Td>{r.issue_type ?? t("rules.any")}</Table.Td><Table.Td>{r.priority ?? t("rules.any")}</Table.Td>
              <Table.Td ta="right" style={{ fontVariantNumeric: "tabular-nums" }}>{r.rate === null ? t("rules.contractRate") : formatDecimal(r.rate, lang)}</Table.Td>
              <Table.Td ta="right">{r.multiplier === null ? "—" : `× ${formatDecimal(r.multiplier, lang, 0)}`}</Table.Td>
              <Table.Td>{r.min_billable_minutes === null && r.rounding_increment_minutes === null ? "—"
                : `${t("rules.minShort")} ${minutes(r.min_billable_minutes)}, ${t("rules.stepShort")} ${minutes(r.rounding_increment_minutes)}`}</Table.Td>
              <Table.Td style={{ whiteSpace: "nowrap" }}>{inForce(t, r.effective_from, r.effective_to, (d) => formatDate(d, lang))}</Table.Td>
              <Table.Td>{r.note}</Table.Td>
              {editable && <Table.Td style={{ whiteSpace: "nowrap" }}>
                <Button size="compact-sm" variant="subtle" aria-label={t("rules.editRule", { id: r.id })} onClick={() => setEditing(r)}>{t("rules.edit")}</Button>
                <Button size="compact-sm" variant="subtle" color="red" aria-label={t("rules.deleteRule", { id: r.id })} onClick={() => setDeleting(r)}>{t("rules.delete")}</Button>
              </Table.Td>}
            </Table.Tr>
          ))}</Table.Tbody>
        </Table>
      )}
      {rules.data?.items.length === 0 && <Text c="dimmed">{t("rules.contractRateOnly")}</Text>}
      <Modal opened={editing !== null} onClose={() => setEditing(null)} size="lg"
        title={editing === "new" ? t("rules.newRuleTitle", { client: app }) : t("rules.editRuleTitle", { client: app })}>
        {editing !== null && app && <RuleForm app={app} rule={editing === "new" ? null : editing} onDone={() => setEditing(null)} />}
      </Modal>
      <ConfirmDelete opened={deleting !== null} onClose={() => setDeleting(null)} pending={remove.isPending}
        onConfirm={() => deleting && remove.mutate(deleting)} text={t("rules.deleteRuleConfirm", { client: app })} />
    </Stack>
  );
}
