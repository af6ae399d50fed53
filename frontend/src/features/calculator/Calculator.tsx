import { useState } from "react";
import { Alert, Button, Group, Paper, Progress, Select, SimpleGrid, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { useMutation } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { api, authedFetch, unwrap } from "../../api/client";
import type { Schemas } from "../../api/types";
import { canWrite, useAuth } from "../../auth/AuthContext";
import { ErrorAlert, Money } from "../../components/Common";
import { formatDecimal } from "../../lib/format";
import { useClients } from "../invoices/api";

type Row = { role: string; hours: string; cost_rate: string; bill_rate: string };
const decimal = (v: string) => v.trim().replace(/\s/g, "").replace(",", ".");

/** Screen 9: roles, hours, costs → price, margin and its chart; save as a numbered quote with its PDFs. */
export default function Calculator() {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const { me } = useAuth();
  const clients = useClients();
  const [currency, setCurrency] = useState("EUR");
  const [rows, setRows] = useState<Row[]>([{ role: "Senior developer", hours: "160", cost_rate: "30.00", bill_rate: "" }]);
  const [pct, setPct] = useState({ overhead_pct: "15", target_margin_pct: "30", discount_pct: "0", vat_rate: "0" });
  const [applicationKey, setApplicationKey] = useState<string | null>(null);
  const request = (): Schemas["QuoteRequest"] => ({
    currency: currency as Schemas["QuoteRequest"]["currency"],
    lines: rows.map((r) => ({ role: r.role, hours: decimal(r.hours), cost_rate: decimal(r.cost_rate), ...(r.bill_rate ? { bill_rate: decimal(r.bill_rate) } : {}) })),
    overhead_pct: decimal(pct.overhead_pct), target_margin_pct: decimal(pct.target_margin_pct),
    discount_pct: decimal(pct.discount_pct), vat_rate: decimal(pct.vat_rate),
  });
  const quote = useMutation({ mutationFn: async () => unwrap(await api.POST("/api/calculator/quote", { body: request() })) });
  const save = useMutation({
    mutationFn: async () => unwrap(await api.POST("/api/calculator/snapshots", { body: { ...request(), application_key: applicationKey } })),
  });
  async function openPdf(id: string, internal: boolean) {
    const response = await authedFetch(`/api/calculator/snapshots/${id}/pdf${internal ? "?internal=true" : ""}`, { headers: { Accept: "application/pdf" } });
    window.open(URL.createObjectURL(await response.blob()), "_blank");
  }
  const setRow = (i: number, key: keyof Row) => (e: { currentTarget: { value: string } }) => {
    const value = e.currentTarget.value;
    setRows((rs) => rs.map((r, j) => (j === i ? { ...r, [key]: value } : r)));
  };
  const result = quote.data;
  return (
    <Stack>
      <Title order={2}>{t("calc.title")}</Title>
      <Paper withBorder p="md">
        <Table aria-label={t("calc.roles")}>
          <Table.Thead><Table.Tr><Table.Th>{t("calc.role")}</Table.Th><Table.Th>{t("calc.hours")}</Table.Th><Table.Th>{t("calc.costRate")}</Table.Th><Table.Th>{t("calc.billRate")}</Table.Th><Table.Th /></Table.Tr></Table.Thead>
          <Table.Tbody>
            {rows.map((r, i) => (
              <Table.Tr key={i}>
                <Table.Td><TextInput aria-label={`${t("calc.role")} ${i + 1}`} value={r.role} onChange={setRow(i, "role")} /></Table.Td>
                <Table.Td><TextInput aria-label={`${t("calc.hours")} ${i + 1}`} inputMode="decimal" value={r.hours} onChange={setRow(i, "hours")} /></Table.Td>
                <Table.Td><TextInput aria-label={`${t("calc.costRate")} ${i + 1}`} inputMode="decimal" value={r.cost_rate} onChange={setRow(i, "cost_rate")} /></Table.Td>
                <Table.Td><TextInput aria-label={`${t("calc.billRate")} ${i + 1}`} inputMode="decimal" placeholder={t("calc.fromMargin")} value={r.bill_rate} onChange={setRow(i, "bill_rate")} /></Table.Td>
                <Table.Td><Button variant="subtle" color="red" size="compact-xs" disabled={rows.length === 1} onClick={() => setRows((rs) => rs.filter((_, j) => j !== i))}>×</Button></Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        <Button mt="xs" variant="light" size="xs" onClick={() => setRows((rs) => [...rs, { role: "", hours: "0", cost_rate: "0", bill_rate: "" }])}>{t("calc.addRole")}</Button>
        <SimpleGrid cols={{ base: 2, md: 5 }} mt="md">
          <Select label={t("invoice.currency")} data={["EUR", "USD", "UZS"]} value={currency} onChange={(v) => setCurrency(v ?? "EUR")} allowDeselect={false} />
          {(["overhead_pct", "target_margin_pct", "discount_pct", "vat_rate"] as const).map((k) => (
            <TextInput key={k} label={t(`calc.${k}`)} inputMode="decimal" value={pct[k]} onChange={(e) => { const v = e.currentTarget.value; setPct((p) => ({ ...p, [k]: v })); }} />
          ))}
        </SimpleGrid>
        <Group mt="md"><Button loading={quote.isPending} onClick={() => quote.mutate()}>{t("calc.calculate")}</Button></Group>
      </Paper>
      <ErrorAlert error={quote.error} />
      {result && (
        <Paper withBorder p="md" aria-label={t("calc.result")}>
          <SimpleGrid cols={{ base: 2, md: 6 }}>
            {([["calc.cost", result.cost], ["calc.revenue", result.revenue], ["calc.margin", result.margin], ["invoice.vat", result.vat], ["invoice.total", result.total]] as const).map(([label, value]) => (
              <Stack key={label} gap={0}><Text size="xs" c="dimmed">{t(label, { rate: formatDecimal(pct.vat_rate, lang, 0) })}</Text><Text fw={700}><Money amount={value} currency={result.currency} /></Text></Stack>
            ))}
            <Stack gap={0}><Text size="xs" c="dimmed">{t("calc.marginPct")}</Text><Text fw={700}>{formatDecimal(result.margin_pct, lang)} %</Text></Stack>
          </SimpleGrid>
          <Title order={4} size="h6" mt="md" mb="xs">{t("calc.chart")}</Title>
          <Stack gap={6}>
            {result.by_role.map((r) => {
              const revenue = Number(r.revenue) || 1; // display proportions only; the figures shown are the API's strings
              return (
                <div key={r.role}>
                  <Group justify="space-between"><Text size="sm">{r.role} · {formatDecimal(r.hours, lang)} h</Text><Text size="sm"><Money amount={r.cost} currency={result.currency} /> / <Money amount={r.revenue} currency={result.currency} /></Text></Group>
                  <Progress.Root size="lg" aria-label={r.role}>
                    <Progress.Section value={(100 * Number(r.cost)) / revenue} color="gray"><Progress.Label>{t("calc.cost")}</Progress.Label></Progress.Section>
                    <Progress.Section value={(100 * Number(r.margin)) / revenue} color="teal"><Progress.Label>{t("calc.margin")}</Progress.Label></Progress.Section>
                  </Progress.Root>
                </div>
              );
            })}
          </Stack>
          {canWrite(me) && (
            <Group mt="md" align="flex-end">
              <Select label={t("wizard.client")} searchable clearable value={applicationKey} onChange={setApplicationKey}
                data={(clients.data?.items ?? []).map((c) => ({ value: c.application_key, label: `${c.customer_name} — ${c.application_key}` }))} />
              <Button loading={save.isPending} onClick={() => save.mutate()}>{t("calc.save")}</Button>
            </Group>
          )}
          <ErrorAlert error={save.error} />
          {save.data && (
            <Alert mt="md" color="teal" title={t("calc.saved", { number: save.data.quote_number })}>
              <Group><Button size="xs" variant="light" onClick={() => void openPdf(save.data.id, false)}>{t("calc.clientPdf")}</Button>
                <Button size="xs" variant="light" onClick={() => void openPdf(save.data.id, true)}>{t("calc.internalPdf")}</Button></Group>
            </Alert>
          )}
        </Paper>
      )}
    </Stack>
  );
}
