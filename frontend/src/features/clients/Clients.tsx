import { useState } from "react";
import { Anchor, Badge, Group, Select, Stack, Table, TextInput, Title } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { Link } from "react-router";
import { useTranslation } from "react-i18next";
import { ErrorAlert, Loading, Money } from "../../components/Common";
import { useClients } from "../invoices/api";

const STATUS_COLORS: Record<string, string> = { active: "green", paused: "yellow", closed: "gray" };

/** Screen 2: applications with deal type, currency, status; filters and search run on the API. */
export default function Clients() {
  const { t } = useTranslation();
  const [deal, setDeal] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [q, setQ] = useState("");
  const [query] = useDebouncedValue(q, 300);
  const clients = useClients({ ...(deal ? { deal_type: deal as "HR" } : {}), ...(status ? { status: status as "active" } : {}), ...(query ? { q: query } : {}) });
  return (
    <Stack>
      <Title order={2}>{t("clients.title")}</Title>
      <Group>
        <TextInput label={t("clients.search")} value={q} onChange={(e) => setQ(e.currentTarget.value)} />
        <Select label={t("clients.dealType")} clearable value={deal} onChange={setDeal} data={["HR", "SUP", "FP"].map((d) => ({ value: d, label: t(`deal.${d}`) }))} />
        <Select label={t("clients.status")} clearable value={status} onChange={setStatus} data={["active", "paused", "closed"].map((s) => ({ value: s, label: t(`clients.${s}`) }))} />
      </Group>
      <ErrorAlert error={clients.error} />
      {clients.isPending ? <Loading /> : (
        <Table striped highlightOnHover aria-label={t("clients.title")}>
          <Table.Thead><Table.Tr><Table.Th>{t("invoice.customer")}</Table.Th><Table.Th>{t("clients.dealType")}</Table.Th><Table.Th>{t("clients.currency")}</Table.Th><Table.Th ta="right">{t("clients.rate")}</Table.Th><Table.Th>{t("clients.contract")}</Table.Th><Table.Th>{t("clients.status")}</Table.Th></Table.Tr></Table.Thead>
          <Table.Tbody>
            {clients.data?.items.map((c) => (
              <Table.Tr key={c.application_key}>
                <Table.Td><Anchor component={Link} to={`/clients/${c.application_key}`}>{c.customer_name}</Anchor> <Badge variant="outline" size="xs">{c.application_key}</Badge></Table.Td>
                <Table.Td>{t(`deal.${c.deal_type}`)}</Table.Td>
                <Table.Td>{c.currency}</Table.Td>
                <Table.Td ta="right"><Money amount={c.deal_type === "SUP" ? c.monthly_fee : c.deal_type === "FP" ? c.fixed_amount : c.hourly_rate} currency={c.currency} /></Table.Td>
                <Table.Td>{c.contract_number}</Table.Td>
                <Table.Td><Badge color={STATUS_COLORS[c.status] ?? "gray"} variant="light">{t(`clients.${c.status}`, { defaultValue: c.status })}</Badge></Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
