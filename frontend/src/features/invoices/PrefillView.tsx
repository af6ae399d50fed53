import { useState } from "react";
import { Button, Group, Modal, Paper, SimpleGrid, Stack, Table, Text, Title } from "@mantine/core";
import { useTranslation } from "react-i18next";
import type { Line, Prefill } from "../../api/types";
import { Money } from "../../components/Common";
import { formatDate, formatDecimal, formatPeriod } from "../../lib/format";
import { LeftOutAndWarnings, TotalsBlock } from "./Totals";

/** Step 2: what the month's worklogs produce, with each line's "why" from the trace. */
export function PrefillView({ prefill }: { prefill: Prefill }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const [why, setWhy] = useState<Line | null>(null);
  return (
    <Stack>
      <SimpleGrid cols={{ base: 1, md: 3 }}>
        <Paper withBorder p="sm">
          <Text size="xs" c="dimmed">{t("invoice.customer")}</Text>
          <Text fw={600}>{prefill.customer?.legal_name || prefill.customer?.name}</Text>
          <Text size="sm" c="dimmed">{prefill.customer?.address}</Text>
        </Paper>
        <Paper withBorder p="sm">
          <Text size="xs" c="dimmed">{t("invoice.contract")}</Text>
          <Text fw={600}>{prefill.contract?.number ?? "—"}</Text>
          <Text size="sm" c="dimmed">{formatDate(prefill.contract?.date, lang)} · {t(`deal.${prefill.deal_type}`)}</Text>
        </Paper>
        <Paper withBorder p="sm">
          <Text size="xs" c="dimmed">{t("invoice.period")}</Text>
          <Text fw={600}>{formatPeriod(prefill.period, lang)}</Text>
          <Text size="sm" c="dimmed">{t("invoice.currency")}: {prefill.currency}</Text>
        </Paper>
      </SimpleGrid>
      <Table striped highlightOnHover aria-label={t("invoice.lines")}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t("invoice.position")}</Table.Th>
            <Table.Th>{t("invoice.description")}</Table.Th>
            <Table.Th ta="right">{t("invoice.quantity")}</Table.Th>
            <Table.Th ta="right">{t("invoice.unitPrice")}</Table.Th>
            <Table.Th ta="right">{t("invoice.amount")}</Table.Th>
            <Table.Th />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {prefill.lines.map((line) => (
            <Table.Tr key={line.position}>
              <Table.Td>{line.position}</Table.Td>
              <Table.Td>{line.description}</Table.Td>
              <Table.Td ta="right">{formatDecimal(line.quantity, lang)} {line.unit === "hour" ? "h" : ""}</Table.Td>
              <Table.Td ta="right"><Money amount={line.unit_price} currency={prefill.currency} /></Table.Td>
              <Table.Td ta="right"><Money amount={line.amount} currency={prefill.currency} /></Table.Td>
              <Table.Td ta="right">
                {(line.trace?.length ?? 0) > 0 && (
                  <Button size="compact-xs" variant="light" onClick={() => setWhy(line)} aria-label={`${t("invoice.why")}: ${line.description}`}>
                    {t("invoice.why")}
                  </Button>
                )}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <TotalsBlock doc={prefill} />
      <LeftOutAndWarnings doc={prefill} />
      <Modal opened={!!why} onClose={() => setWhy(null)} size="xl" title={why ? t("invoice.whyTitle", { description: why.description }) : ""}>
        {why && <TraceTable line={why} />}
      </Modal>
    </Stack>
  );
}

function TraceTable({ line }: { line: Line }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const rules = [...new Set((line.trace ?? []).map((r) => r.rate_rule_id))];
  return (
    <Stack gap="xs">
      <Group gap="lg">
        <Text size="sm"><b>{t("invoice.rule")}:</b> {rules.map((r) => (r === null ? t("invoice.ruleNone") : `#${r}`)).join(", ")} · {formatDecimal(line.rate ?? line.unit_price, lang)} × {formatDecimal(line.multiplier, lang, 0)}</Text>
        <Text size="sm"><b>{t("invoice.worklogs", { count: line.trace?.length ?? 0 })}</b></Text>
        <Text size="sm">{t("invoice.billedMinutes")}: {line.billed_minutes}</Text>
      </Group>
      <Title order={5} size="h6" />
      <Table striped fz="sm" stickyHeader>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t("invoice.date")}</Table.Th><Table.Th>{t("invoice.issue")}</Table.Th><Table.Th>{t("invoice.author")}</Table.Th>
            <Table.Th ta="right">{t("invoice.minutes")}</Table.Th><Table.Th ta="right">{t("invoice.billedMinutes")}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {(line.trace ?? []).slice(0, 500).map((row) => (
            <Table.Tr key={`${row.worklog_id}-${row.billed_minutes}`}>
              <Table.Td>{formatDate(row.work_date, lang)}</Table.Td><Table.Td>{row.issue_key}</Table.Td><Table.Td>{row.author_name}</Table.Td>
              <Table.Td ta="right">{formatDecimal(row.raw_minutes, lang)}</Table.Td><Table.Td ta="right">{row.billed_minutes}{row.split ? " *" : ""}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}
