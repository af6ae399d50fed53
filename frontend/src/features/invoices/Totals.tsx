import { Alert, Group, List, Paper, SimpleGrid, Stack, Table, Text, Title } from "@mantine/core";
import { useTranslation } from "react-i18next";
import type { TFunction } from "i18next";
import type { Prefill, WarningCode } from "../../api/types";
import { Money } from "../../components/Common";
import { formatDateTime, formatDecimal } from "../../lib/format";

/** Subtotal, VAT and total of an invoice or a preview, aligned like the document. */
export function TotalsBlock({ doc }: { doc: Pick<Prefill, "subtotal" | "vat_rate" | "vat_amount" | "total" | "currency"> }) {
  const { t, i18n } = useTranslation();
  return (
    <Table w={360} ml="auto" aria-label={t("invoice.total")} withRowBorders={false}>
      <Table.Tbody>
        <Table.Tr><Table.Td>{t("invoice.subtotal")}</Table.Td><Table.Td ta="right"><Money amount={doc.subtotal} currency={doc.currency} /></Table.Td></Table.Tr>
        <Table.Tr><Table.Td>{t("invoice.vat", { rate: formatDecimal(doc.vat_rate, i18n.language, 0) })}</Table.Td><Table.Td ta="right"><Money amount={doc.vat_amount} currency={doc.currency} /></Table.Td></Table.Tr>
        <Table.Tr style={{ borderTop: "2px solid var(--mantine-color-gray-4)" }}>
          <Table.Td fw={700}>{t("invoice.total")}</Table.Td>
          <Table.Td ta="right" fw={700} data-testid="invoice-total"><Money amount={doc.total} currency={doc.currency} /></Table.Td>
        </Table.Tr>
      </Table.Tbody>
    </Table>
  );
}

/** A warning in the reader's language from its code; the server's English sentence when the code is
 * missing (drafts saved before codes were recorded) or unknown to this build. */
export function sayWarning(t: TFunction, lang: string, text: string, code?: WarningCode): string {
  if (!code) return text;
  const values: Record<string, string | number> = { ...code.values };
  if (values.count !== undefined) values.count = Number(values.count);
  for (const name of ["hours", "limit"]) {
    if (values[name] !== undefined) values[name] = formatDecimal(String(values[name]), lang);
  }
  return t(`warning.${code.code}`, { ...values, defaultValue: text });
}

/** Hours, what was left out and why, the warnings and how fresh the worklogs are. */
export function LeftOutAndWarnings({ doc }: { doc: Pick<Prefill, "left_out" | "hours" | "included_hours" | "warnings" | "warning_codes" | "data_as_of"> }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const buckets = (["classified_projects", "excluded_employees", "over_limit"] as const);
  return (
    <Stack gap="sm">
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        {doc.hours && (
          <Paper withBorder p="sm">
            <Title order={4} size="h6" mb={4}>{t("invoice.hours")}</Title>
            <Text size="sm">
              {formatDecimal(doc.hours.logged, lang)} {t("invoice.logged")} · {formatDecimal(doc.hours.billable, lang)} {t("invoice.billable")} · <b>{formatDecimal(doc.hours.billed, lang)} {t("invoice.billed")}</b>
            </Text>
            {doc.included_hours && (
              <Text size="sm">{t("invoice.coveredByFee", { hours: formatDecimal(doc.included_hours.hours, lang) })}</Text>
            )}
            {doc.data_as_of && <Text size="xs" c="dimmed" mt={4}>{t("invoice.dataAsOf", { when: formatDateTime(doc.data_as_of, lang) })}</Text>}
          </Paper>
        )}
        {doc.left_out && (
          <Paper withBorder p="sm" aria-label={t("invoice.leftOut")}>
            <Title order={4} size="h6" mb={4}>{t("invoice.leftOut")}</Title>
            {buckets.map((name) => (
              <Group key={name} justify="space-between" gap="xs">
                <Text size="sm">{t(`invoice.${name}`)}</Text>
                <Text size="sm" c={doc.left_out[name]?.count ? undefined : "dimmed"}>
                  {t("invoice.bucket", { count: doc.left_out[name]?.count ?? 0, hours: formatDecimal(doc.left_out[name]?.hours ?? "0", lang) })}
                </Text>
              </Group>
            ))}
          </Paper>
        )}
      </SimpleGrid>
      {doc.warnings?.length > 0 && (
        <Alert color="yellow" title={t("invoice.warnings")}>
          <List size="sm">{doc.warnings.map((w, i) => <List.Item key={w}>{sayWarning(t, lang, w, doc.warning_codes?.[i])}</List.Item>)}</List>
        </Alert>
      )}
    </Stack>
  );
}
