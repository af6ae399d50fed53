import { useState } from "react";
import { Badge, Select, Stack, Table, Tabs, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { api, unwrap } from "../../api/client";
import { ErrorAlert, Loading } from "../../components/Common";
import { formatDate, formatDateTime, formatDecimal } from "../../lib/format";
import { useClients } from "../invoices/api";

/** Screen 8 (reading): rate rules per client, project classifications, employee exclusions, settings and
 * the change log. Changes are made through the API (every one audited); editing forms are not built yet. */
export default function BillingRules() {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const clients = useClients();
  const [app, setApp] = useState<string | null>(null);
  const rules = useQuery({
    queryKey: ["rate-rules", app], enabled: !!app,
    queryFn: async () => unwrap(await api.GET("/api/applications/{application_key}/rate-rules", { params: { path: { application_key: app! } } })),
  });
  const classifications = useQuery({ queryKey: ["classifications"], queryFn: async () => unwrap(await api.GET("/api/project-classifications")) });
  const exclusions = useQuery({ queryKey: ["exclusions"], queryFn: async () => unwrap(await api.GET("/api/employee-exclusions")) });
  const changes = useQuery({ queryKey: ["config-changes"], queryFn: async () => unwrap(await api.GET("/api/config-changes")) });
  const settings = useQuery({ queryKey: ["settings"], queryFn: async () => unwrap(await api.GET("/api/settings")) as unknown as Record<string, unknown> });
  const settingItems = Object.entries((settings.data as { items?: Record<string, unknown> } | undefined)?.items ?? settings.data ?? {});
  return (
    <Stack>
      <Title order={2}>{t("rules.title")}</Title>
      <Tabs defaultValue="rates" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="rates">{t("rules.rates")}</Tabs.Tab>
          <Tabs.Tab value="projects">{t("rules.projects")}</Tabs.Tab>
          <Tabs.Tab value="exclusions">{t("rules.exclusions")}</Tabs.Tab>
          <Tabs.Tab value="settings">{t("rules.settings")}</Tabs.Tab>
          <Tabs.Tab value="changes">{t("rules.changes")}</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="rates" pt="md">
          <Stack>
            <Select label={t("wizard.client")} searchable maw={480} value={app} onChange={setApp}
              data={(clients.data?.items ?? []).map((c) => ({ value: c.application_key, label: `${c.customer_name} — ${c.application_key}` }))} />
            <ErrorAlert error={rules.error} />
            {rules.data && (
              <Table striped aria-label={t("rules.rates")}>
                <Table.Thead><Table.Tr><Table.Th>#</Table.Th><Table.Th>{t("rules.who")}</Table.Th><Table.Th>{t("rules.issueType")}</Table.Th><Table.Th ta="right">{t("rules.rate")}</Table.Th><Table.Th ta="right">×</Table.Th><Table.Th>{t("rules.effective")}</Table.Th><Table.Th>{t("invoice.notes")}</Table.Th></Table.Tr></Table.Thead>
                <Table.Tbody>{rules.data.items.map((r) => (
                  <Table.Tr key={r.id}><Table.Td>{r.id}</Table.Td><Table.Td>{r.account_id ?? t("rules.anyone")}</Table.Td><Table.Td>{r.issue_type ?? t("rules.any")}</Table.Td>
                    <Table.Td ta="right">{formatDecimal(r.rate, lang)}</Table.Td><Table.Td ta="right">{formatDecimal(r.multiplier, lang, 0)}</Table.Td>
                    <Table.Td>{formatDate(r.effective_from, lang)} – {r.effective_to ? formatDate(r.effective_to, lang) : "…"}</Table.Td><Table.Td>{r.note}</Table.Td></Table.Tr>
                ))}</Table.Tbody>
              </Table>
            )}
            {rules.data?.items.length === 0 && <Text c="dimmed">{t("rules.contractRateOnly")}</Text>}
          </Stack>
        </Tabs.Panel>
        <Tabs.Panel value="projects" pt="md">
          {classifications.isPending ? <Loading /> : (
            <Table striped aria-label={t("rules.projects")}><Table.Tbody>{classifications.data?.items.map((c) => (
              <Table.Tr key={c.project_key}><Table.Td>{c.project_key}</Table.Td><Table.Td><Badge variant="light">{c.classification}</Badge></Table.Td><Table.Td>{c.note}</Table.Td></Table.Tr>
            ))}</Table.Tbody></Table>
          )}
        </Tabs.Panel>
        <Tabs.Panel value="exclusions" pt="md">
          {exclusions.isPending ? <Loading /> : (
            <Table striped aria-label={t("rules.exclusions")}><Table.Tbody>{exclusions.data?.items.map((x) => (
              <Table.Tr key={x.id}><Table.Td>{x.account_id}</Table.Td><Table.Td>{x.application_key ?? t("rules.allClients")}</Table.Td><Table.Td>{formatDate(x.effective_from, lang)} – {x.effective_to ? formatDate(x.effective_to, lang) : "…"}</Table.Td><Table.Td>{x.reason}</Table.Td></Table.Tr>
            ))}</Table.Tbody></Table>
          )}
        </Tabs.Panel>
        <Tabs.Panel value="settings" pt="md">
          <Table striped aria-label={t("rules.settings")}><Table.Tbody>{settingItems.map(([key, value]) => (
            <Table.Tr key={key}><Table.Td fw={600}>{key}</Table.Td><Table.Td><Text size="sm" style={{ whiteSpace: "pre-wrap" }}>{typeof value === "string" ? value : JSON.stringify(value)}</Text></Table.Td></Table.Tr>
          ))}</Table.Tbody></Table>
        </Tabs.Panel>
        <Tabs.Panel value="changes" pt="md">
          {changes.isPending ? <Loading /> : (
            <Table striped aria-label={t("rules.changes")}><Table.Tbody>{changes.data?.items.map((c) => (
              <Table.Tr key={c.id}><Table.Td>{formatDateTime(c.created_at, lang)}</Table.Td><Table.Td>{c.actor_email}</Table.Td><Table.Td>{c.action} {c.entity} {c.entity_id}</Table.Td>
                <Table.Td><Text size="xs" ff="monospace">{JSON.stringify(c.before)} → {JSON.stringify(c.after)}</Text></Table.Td></Table.Tr>
            ))}</Table.Tbody></Table>
          )}
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}
