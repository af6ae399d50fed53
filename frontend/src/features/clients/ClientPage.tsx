import { Anchor, Button, Group, Paper, SimpleGrid, Stack, Table, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "react-router";
import { useTranslation } from "react-i18next";
import { api, unwrap } from "../../api/client";
import type { Client, RegistryPage } from "../../api/types";
import { canWrite, useAuth } from "../../auth/AuthContext";
import { ErrorAlert, Loading, Money, StatusBadge } from "../../components/Common";
import { formatDate, formatPeriod } from "../../lib/format";

type ClientDetail = Client & { customer?: Record<string, string | boolean | null>; contacts?: { name?: string; email?: string; phone?: string; role?: string }[] };

/** A client's contract, customer details, contacts and invoices. */
export default function ClientPage() {
  const { key } = useParams();
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const { me } = useAuth();
  const client = useQuery({
    queryKey: ["client", key],
    queryFn: async () => unwrap(await api.GET("/api/clients/{application_key}", { params: { path: { application_key: key! } } })) as unknown as ClientDetail,
  });
  const invoices = useQuery({
    queryKey: ["registry", { application_key: key }],
    queryFn: async () => unwrap(await api.GET("/api/invoices", { params: { query: { application_key: key!, limit: 50 } } })) as unknown as RegistryPage,
  });
  if (client.isPending) return <Loading />;
  if (client.error) return <ErrorAlert error={client.error} />;
  const c = client.data;
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{c.title}</Title>
        {canWrite(me) && c.status === "active" && <Button component={Link} to={`/invoices/new?client=${c.application_key}`}>{t("clients.newInvoice")}</Button>}
      </Group>
      <SimpleGrid cols={{ base: 1, md: 3 }}>
        <Paper withBorder p="sm">
          <Text size="xs" c="dimmed">{t("clients.contract")}</Text>
          <Text fw={600}>{c.contract_number} · {formatDate(c.contract_date, lang)}</Text>
          <Text size="sm">{t(`deal.${c.deal_type}`)} · {c.currency} · {t(`clients.${c.status}`, { defaultValue: c.status })}</Text>
          <Text size="sm"><Money amount={c.hourly_rate} currency={c.currency} /> / h{c.monthly_fee ? <> · <Money amount={c.monthly_fee} currency={c.currency} /></> : null}</Text>
        </Paper>
        <Paper withBorder p="sm">
          <Text size="xs" c="dimmed">{t("invoice.customer")}</Text>
          <Text fw={600}>{String(c.customer?.legal_name ?? c.customer_name)}</Text>
          <Text size="sm">{String(c.customer?.address ?? "")}</Text>
          <Text size="sm">{c.is_resident ? t("clients.resident") : t("clients.nonResident")}</Text>
        </Paper>
        <Paper withBorder p="sm">
          <Text size="xs" c="dimmed">{t("clients.contacts")}</Text>
          {(c.contacts ?? []).map((p, i) => <Text key={i} size="sm">{p.name} {p.role ? `(${p.role})` : ""} {p.email}</Text>)}
        </Paper>
      </SimpleGrid>
      <Title order={3} size="h4">{t("clients.invoices")}</Title>
      {invoices.data && (
        <Table striped aria-label={t("clients.invoices")}>
          <Table.Tbody>
            {invoices.data.items.map((r) => (
              <Table.Tr key={r.id}>
                <Table.Td><Anchor component={Link} to={`/invoices/${r.id}`}>{r.number ?? t("invoice.draftNumber")}</Anchor></Table.Td>
                <Table.Td>{formatPeriod(r.period, lang)}</Table.Td><Table.Td><StatusBadge status={r.status} /></Table.Td>
                <Table.Td ta="right"><Money amount={r.total} currency={r.currency} /></Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
