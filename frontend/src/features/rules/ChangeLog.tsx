import { Badge, Stack, Table, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { api, unwrap } from "../../api/client";
import { ErrorAlert, Loading } from "../../components/Common";
import { formatDate, formatDateTime, formatDecimal } from "../../lib/format";

const HIDDEN = new Set(["id", "specificity", "created_at", "updated_at"]);
const ACTION_COLORS: Record<string, string> = { create: "green", update: "blue", delete: "red" };

type Snapshot = Record<string, unknown> | null;
// the order a reader expects: whose rule, what it matches, what it changes, when, why
const ORDER = ["application_key", "project_key", "account_id", "issue_type", "priority", "classification", "rate", "multiplier",
  "min_billable_minutes", "rounding_increment_minutes", "effective_from", "effective_to", "reason", "note"];
const rank = (k: string) => (ORDER.includes(k) ? ORDER.indexOf(k) : ORDER.length);
const show = (v: unknown) => (v === null || v === undefined || v === "" ? "—" : typeof v === "object" ? JSON.stringify(v) : String(v));

/** What changed, field by field: every filled field of a new or removed row, the differing ones of an update. */
export function changedFields(before: unknown, after: unknown): { field: string; before: unknown; after: unknown }[] {
  const b = (before && typeof before === "object" ? before : null) as Snapshot;
  const a = (after && typeof after === "object" ? after : null) as Snapshot;
  if (!b && !a) return [{ field: "value", before, after }];
  const keys = [...new Set([...Object.keys(b ?? {}), ...Object.keys(a ?? {})])].filter((k) => !HIDDEN.has(k));
  return keys
    .filter((k) => JSON.stringify(b?.[k] ?? null) !== JSON.stringify(a?.[k] ?? null))
    .sort((x, y) => rank(x) - rank(y))
    .map((k) => ({ field: k, before: b?.[k] ?? null, after: a?.[k] ?? null }));
}

/** The audit of every billing-configuration change (GET /api/config-changes), newest first. */
export function ChangeLog() {
  const { t, i18n } = useTranslation();
  const changes = useQuery({ queryKey: ["config-changes"], queryFn: async () => unwrap(await api.GET("/api/config-changes")) });
  if (changes.isPending) return <Loading />;
  const lang = i18n.language;
  const value = (field: string, v: unknown) => {
    if (typeof v !== "string" || v === "") return show(v);
    if (field === "rate") return formatDecimal(v, lang);
    if (field === "multiplier") return formatDecimal(v, lang, 0);
    if (field === "effective_from" || field === "effective_to") return formatDate(v, lang);
    if (field === "classification") return t(`rules.kind.${v}`, { defaultValue: v });
    return v;
  };
  const label = (field: string) => (i18n.exists(`rules.field.${field}`) ? t(`rules.field.${field}`) : field);
  return (
    <Stack>
      <ErrorAlert error={changes.error} />
      <Table striped aria-label={t("rules.changes")} verticalSpacing="xs">
        <Table.Thead><Table.Tr><Table.Th>{t("rules.when")}</Table.Th><Table.Th>{t("rules.byWhom")}</Table.Th><Table.Th>{t("rules.what")}</Table.Th><Table.Th>{t("rules.change")}</Table.Th></Table.Tr></Table.Thead>
        <Table.Tbody>{changes.data?.items.map((c) => (
          <Table.Tr key={c.id}>
            <Table.Td style={{ whiteSpace: "nowrap", verticalAlign: "top" }}>{formatDateTime(c.created_at, i18n.language)}</Table.Td>
            <Table.Td style={{ verticalAlign: "top" }}>{c.actor_email}</Table.Td>
            <Table.Td style={{ verticalAlign: "top" }}>
              <Badge variant="light" color={ACTION_COLORS[c.action]}>{t(`rules.action.${c.action}`)}</Badge>{" "}
              <Text span size="sm">{t(`rules.entity.${c.entity}`, { defaultValue: c.entity })} {c.entity_id}</Text>
            </Table.Td>
            <Table.Td>
              {changedFields(c.before, c.after).map((d) => (
                <Text key={d.field} size="sm">
                  <Text span fw={600}>{label(d.field)}</Text>:{" "}
                  {c.action === "update" ? <>{value(d.field, d.before)} → {value(d.field, d.after)}</> : value(d.field, c.action === "delete" ? d.before : d.after)}
                </Text>
              ))}
            </Table.Td>
          </Table.Tr>
        ))}</Table.Tbody>
      </Table>
      {changes.data?.items.length === 0 && <Text c="dimmed">{t("rules.noChanges")}</Text>}
    </Stack>
  );
}
