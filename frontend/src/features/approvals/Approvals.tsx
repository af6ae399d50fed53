import { Anchor, Stack, Table, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { useTranslation } from "react-i18next";
import { api, unwrap } from "../../api/client";
import type { Invoice, RegistryItem, RegistryPage } from "../../api/types";
import { ErrorAlert, Loading, Money } from "../../components/Common";
import { formatDate, formatPeriod } from "../../lib/format";
import { ActionBar } from "../invoices/Actions";
import { useInvoice } from "../invoices/api";

/** Screen 6: the approver's queue of needs_review invoices, approve / reject with a reason in place. */
export default function Approvals() {
  const { t, i18n } = useTranslation();
  const queue = useQuery({
    queryKey: ["registry", { status: "needs_review" }],
    queryFn: async () => unwrap(await api.GET("/api/invoices", { params: { query: { status: "needs_review", limit: 100 } } })) as unknown as RegistryPage,
  });
  if (queue.isPending) return <Loading />;
  return (
    <Stack>
      <Title order={2}>{t("approvals.title")}</Title>
      <ErrorAlert error={queue.error} />
      {queue.data?.items.length === 0 ? <Text c="dimmed">{t("approvals.empty")}</Text> : (
        <Table aria-label={t("approvals.title")} verticalSpacing="sm">
          <Table.Thead>
            <Table.Tr><Table.Th>{t("invoice.number")}</Table.Th><Table.Th>{t("invoice.customer")}</Table.Th><Table.Th>{t("invoice.period")}</Table.Th><Table.Th>{t("invoice.issueDate")}</Table.Th><Table.Th ta="right">{t("invoice.total")}</Table.Th><Table.Th /></Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {queue.data?.items.map((row) => (
              <Table.Tr key={row.id}>
                <Table.Td><Anchor component={Link} to={`/invoices/${row.id}`}>{row.number}</Anchor></Table.Td>
                <Table.Td>{row.customer_name}</Table.Td>
                <Table.Td>{formatPeriod(row.period, i18n.language)}</Table.Td>
                <Table.Td>{formatDate(row.issue_date, i18n.language)}</Table.Td>
                <Table.Td ta="right"><Money amount={row.total} currency={row.currency} /></Table.Td>
                <Table.Td><RowActions row={row} /></Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}

function RowActions({ row }: { row: RegistryItem }) {
  // the full invoice says who finalized it (separation of duties) and what is allowed now
  const invoice = useInvoice(row.id);
  if (!invoice.data) return null;
  return <ActionBar invoice={invoice.data as Invoice} only={["approve", "reject"]} />;
}
