import { useState } from "react";
import { Anchor, Button, Group, MultiSelect, Paper, Select, SimpleGrid, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { useInfiniteQuery } from "@tanstack/react-query";
import { Link, useSearchParams } from "react-router";
import { useTranslation } from "react-i18next";
import { api, authedFetch, unwrap } from "../../api/client";
import type { paths } from "../../api/schema";
import type { RegistryPage } from "../../api/types";
import { ErrorAlert, Loading, Money, StatusBadge } from "../../components/Common";
import { formatDate, formatPeriod } from "../../lib/format";
import { useClients } from "./api";

const STATUSES = ["draft", "needs_review", "approved", "sent", "accepted", "paid", "cancelled"];
const FILTERS = ["status", "kind", "application_key", "period_from", "period_to", "q"] as const;
type Filters = Pick<NonNullable<paths["/api/invoices"]["get"]["parameters"]["query"]>, (typeof FILTERS)[number]>;

function filtersOf(params: URLSearchParams): Filters {
  return Object.fromEntries(FILTERS.map((k) => [k, params.get(k) ?? ""]).filter(([, v]) => v)) as Filters;
}

/** Screen 4: the registry. Filters live in the URL; pages follow the API's keyset cursor. */
export default function Registry() {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const [params, setParams] = useSearchParams();
  const applied = filtersOf(params);
  const [draft, setDraft] = useState<Filters>(applied);
  const clients = useClients();
  const pages = useInfiniteQuery({
    queryKey: ["registry", applied],
    initialPageParam: null as string | null,
    queryFn: async ({ pageParam }) => unwrap(await api.GET("/api/invoices", {
      params: { query: { ...applied, limit: 50, ...(pageParam ? { cursor: pageParam, totals: false } : {}) } },
    })) as unknown as RegistryPage,
    getNextPageParam: (last) => last.next_cursor,
  });
  const rows = pages.data?.pages.flatMap((p) => p.items) ?? [];
  const totals = pages.data?.pages[0]?.totals ?? [];
  const set = (key: keyof Filters) => (value: string | null) => setDraft((d) => ({ ...d, [key]: value ?? "" }));
  const apply = () => setParams(Object.fromEntries(Object.entries(draft).filter(([, v]) => v)) as Record<string, string>);

  async function exportAs(format: "csv" | "xlsx") {
    const query = new URLSearchParams({ format, ...applied });
    const response = await authedFetch(`/api/invoices/export?${query}`);
    if (!response.ok) throw new Error(`${response.status}`);
    const url = URL.createObjectURL(await response.blob());
    const a = Object.assign(document.createElement("a"), { href: url, download: `invoices.${format}` });
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t("registry.title")}</Title>
        <Group gap="xs">
          <Button variant="default" size="xs" onClick={() => void exportAs("csv")}>{t("registry.exportCsv")}</Button>
          <Button variant="default" size="xs" onClick={() => void exportAs("xlsx")}>{t("registry.exportXlsx")}</Button>
        </Group>
      </Group>
      <Paper withBorder p="sm" component="form" aria-label="filters" onSubmit={(e) => { e.preventDefault(); apply(); }}>
        <SimpleGrid cols={{ base: 1, sm: 3, lg: 6 }}>
          <MultiSelect label={t("registry.status")} data={STATUSES.map((s) => ({ value: s, label: t(`status.${s}`) }))}
            value={draft.status ? draft.status.split(",") : []} onChange={(v) => set("status")(v.join(","))} clearable />
          <Select label={t("registry.kind")} data={[{ value: "invoice", label: t("kind.invoice") }, { value: "credit_note", label: t("kind.credit_note") }]}
            value={draft.kind || null} onChange={set("kind")} clearable />
          <Select label={t("registry.client")} searchable clearable value={draft.application_key || null} onChange={set("application_key")}
            data={(clients.data?.items ?? []).map((c) => ({ value: c.application_key, label: `${c.customer_name} — ${c.application_key}` }))} />
          <TextInput type="month" label={t("registry.from")} value={draft.period_from ?? ""} onChange={(e) => set("period_from")(e.currentTarget.value)} />
          <TextInput type="month" label={t("registry.to")} value={draft.period_to ?? ""} onChange={(e) => set("period_to")(e.currentTarget.value)} />
          <TextInput label={t("registry.search")} placeholder="PRX-2026-00" value={draft.q ?? ""} onChange={(e) => set("q")(e.currentTarget.value)} />
        </SimpleGrid>
        <Group mt="sm" gap="xs">
          <Button type="submit" size="xs">{t("registry.apply")}</Button>
          <Button size="xs" variant="subtle" onClick={() => { setDraft({}); setParams({}); }}>{t("registry.reset")}</Button>
        </Group>
      </Paper>
      {totals.length > 0 && (
        <Paper withBorder p="sm" aria-label={t("registry.totals")}>
          <Text size="sm" fw={600} mb={4}>{t("registry.totals")}</Text>
          <Group gap="xl">
            {totals.map((tot) => (
              <Stack key={tot.currency} gap={0} data-testid={`total-${tot.currency}`}>
                <Text size="lg" fw={700}><Money amount={tot.total} currency={tot.currency} /></Text>
                <Text size="xs" c="dimmed">{t("registry.count", { count: tot.count })} · {t("invoice.subtotal")} <Money amount={tot.subtotal} currency={tot.currency} /></Text>
              </Stack>
            ))}
          </Group>
        </Paper>
      )}
      <ErrorAlert error={pages.error} />
      {pages.isPending ? <Loading /> : rows.length === 0 ? <Text c="dimmed">{t("registry.empty")}</Text> : (
        <Table striped highlightOnHover aria-label={t("registry.title")}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("invoice.number")}</Table.Th><Table.Th>{t("invoice.customer")}</Table.Th><Table.Th>{t("invoice.period")}</Table.Th>
              <Table.Th>{t("invoice.status")}</Table.Th><Table.Th>{t("invoice.issueDate")}</Table.Th><Table.Th ta="right">{t("invoice.total")}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((r) => (
              <Table.Tr key={r.id}>
                <Table.Td><Anchor component={Link} to={`/invoices/${r.id}`}>{r.number ?? t("invoice.draftNumber")}</Anchor>{r.kind === "credit_note" && <Text span size="xs" c="dimmed"> · {t("kind.credit_note")}</Text>}</Table.Td>
                <Table.Td>{r.customer_name}<Text span size="xs" c="dimmed"> · {r.application_key}</Text></Table.Td>
                <Table.Td>{formatPeriod(r.period, lang)}</Table.Td>
                <Table.Td><StatusBadge status={r.status} /></Table.Td>
                <Table.Td>{formatDate(r.issue_date, lang)}</Table.Td>
                <Table.Td ta="right"><Money amount={r.total} currency={r.currency} /></Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {pages.hasNextPage && <Group><Button variant="light" loading={pages.isFetchingNextPage} onClick={() => void pages.fetchNextPage()}>{t("registry.more")}</Button></Group>}
    </Stack>
  );
}
