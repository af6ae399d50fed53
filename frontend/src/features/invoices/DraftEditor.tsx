import { useEffect, useState } from "react";
import { Alert, Button, Group, Modal, Paper, Select, SimpleGrid, Stack, Table, Text, TextInput, Textarea, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { api, ApiError, unwrap } from "../../api/client";
import type { HistoryRow, Invoice, Line } from "../../api/types";
import { Money } from "../../components/Common";
import { formatDateTime, formatDecimal } from "../../lib/format";
import { useInvoiceEdits } from "./api";
import { TotalsBlock } from "./Totals";

type Conflict = { mine: number; current: number; readAt: string };

/** Step 3 and the draft's Lines tab: every write carries If-Match; a 412 never overwrites anything. */
export function DraftEditor({ invoice, readOnly }: { invoice: Invoice; readOnly?: boolean }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const edits = useInvoiceEdits(invoice);
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [editing, setEditing] = useState<Line | "new" | null>(null);
  const [saved, setSaved] = useState(false);

  function failed(error: unknown): boolean {
    if (error instanceof ApiError && error.status === 412) {
      setConflict({ mine: Number(error.details.expected_version ?? invoice.version),
        current: Number(error.details.current_version ?? invoice.version + 1), readAt: invoice.updated_at });
      return true;
    }
    return false;
  }

  // shown in the line dialog while it is open (the page behind it is inert), on the page otherwise
  const banner = conflict && <ConflictAlert invoice={invoice} conflict={conflict} onReload={async () => { await edits.reload(); setConflict(null); }} />;

  return (
    <Stack>
      {conflict && editing === null && banner}
      <HeaderForm invoice={invoice} readOnly={readOnly} onSave={async (body) => {
        setSaved(false);
        try { await edits.patchHeader.mutateAsync(body); setSaved(true); return true; } catch (e) { if (!failed(e)) throw e; return false; }
      }} />
      {saved && <Text size="sm" c="teal">{t("edit.saved")}</Text>}
      <Group justify="space-between">
        <Title order={3} size="h5">{t("invoice.lines")}</Title>
        {!readOnly && <Button variant="light" size="xs" onClick={() => setEditing("new")}>{t("edit.addLine")}</Button>}
      </Group>
      <Table striped aria-label={t("invoice.lines")}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t("invoice.position")}</Table.Th><Table.Th>{t("invoice.description")}</Table.Th>
            <Table.Th ta="right">{t("invoice.quantity")}</Table.Th><Table.Th ta="right">{t("invoice.unitPrice")}</Table.Th>
            <Table.Th ta="right">{t("invoice.amount")}</Table.Th><Table.Th />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {invoice.lines.map((line) => (
            <Table.Tr key={line.id ?? line.position}>
              <Table.Td>{line.position}</Table.Td>
              <Table.Td>{line.description}</Table.Td>
              <Table.Td ta="right">{formatDecimal(line.quantity, lang)}</Table.Td>
              <Table.Td ta="right"><Money amount={line.unit_price} currency={invoice.currency} /></Table.Td>
              <Table.Td ta="right"><Money amount={line.amount} currency={invoice.currency} /></Table.Td>
              <Table.Td ta="right">
                {!readOnly && <Button size="compact-xs" variant="subtle" onClick={() => setEditing(line)}
                  aria-label={`${t("edit.editLine")} ${line.position}`}>{t("edit.editLine")}</Button>}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <TotalsBlock doc={invoice} />
      <LineModal line={editing} invoice={invoice} banner={banner} onClose={() => setEditing(null)}
        onSave={async (values) => {
          try {
            if (editing === "new") await edits.addLine.mutateAsync({ ...values, description: values.description ?? "", quantity: values.quantity ?? "1", unit_price: values.unit_price ?? "0" });
            else if (editing) await edits.patchLine.mutateAsync({ lineId: editing.id!, body: values });
            setEditing(null);
          } catch (e) { if (!failed(e)) throw e; }
        }}
        onDelete={async (reason) => {
          try {
            if (editing && editing !== "new") await edits.deleteLine.mutateAsync({ lineId: editing.id!, reason });
            setEditing(null);
          } catch (e) { if (!failed(e)) throw e; }
        }} />
    </Stack>
  );
}

function ConflictAlert({ invoice, conflict, onReload }: { invoice: Invoice; conflict: Conflict; onReload: () => Promise<void> }) {
  const { t, i18n } = useTranslation();
  // who changed what since this copy was read: the history rows newer than it
  const history = useQuery({
    queryKey: ["invoice", invoice.id, "history", "conflict", conflict.current],
    queryFn: async () => (unwrap(await api.GET("/api/invoices/{invoice_id}/history", { params: { path: { invoice_id: invoice.id } } })) as unknown as { items: HistoryRow[] }).items,
  });
  const theirs = (history.data ?? []).filter((row) => row.created_at > conflict.readAt);
  const [busy, setBusy] = useState(false);
  return (
    <Alert color="orange" role="alert" title={t("edit.conflictTitle")}>
      <Stack gap="xs">
        <Text size="sm">{t("edit.conflictBody", { mine: conflict.mine, current: conflict.current })}</Text>
        {theirs.length > 0 && (
          <Table fz="xs" aria-label={t("edit.theirChanges")} withRowBorders={false}>
            <Table.Thead><Table.Tr><Table.Th>{t("edit.who")}</Table.Th><Table.Th>{t("edit.field")}</Table.Th><Table.Th>{t("edit.before")}</Table.Th><Table.Th>{t("edit.after")}</Table.Th><Table.Th>{t("edit.when")}</Table.Th></Table.Tr></Table.Thead>
            <Table.Tbody>
              {theirs.map((row) => (
                <Table.Tr key={row.id}><Table.Td>{row.actor_email}</Table.Td><Table.Td>{row.field}</Table.Td><Table.Td>{row.before}</Table.Td><Table.Td>{row.after}</Table.Td><Table.Td>{formatDateTime(row.created_at, i18n.language)}</Table.Td></Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
        <Group><Button size="xs" color="orange" loading={busy} onClick={async () => { setBusy(true); await onReload(); setBusy(false); }}>{t("edit.reload")}</Button></Group>
      </Stack>
    </Alert>
  );
}

type HeaderValues = { issue_date: string; due_date: string; payment_terms: string; notes: string; vat_rate: string };

/** Only the fields typed here are sent; the rest show the invoice as last read (a reload updates them,
 * what was typed stays). */
function HeaderForm({ invoice, readOnly, onSave }: { invoice: Invoice; readOnly?: boolean; onSave: (body: Partial<HeaderValues>) => Promise<boolean> }) {
  const { t } = useTranslation();
  const base: HeaderValues = { issue_date: invoice.issue_date ?? "", due_date: invoice.due_date ?? "",
    payment_terms: invoice.payment_terms ?? "", notes: invoice.notes ?? "", vat_rate: invoice.vat_rate ?? "0" };
  const [typed, setTyped] = useState<Partial<HeaderValues>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const changed = Object.fromEntries(Object.entries(typed).filter(([k, v]) => v !== base[k as keyof HeaderValues]));
  const field = (key: keyof HeaderValues) => ({
    value: typed[key] ?? base[key], readOnly,
    onChange: (e: { currentTarget: { value: string } }) => { const value = e.currentTarget.value; setTyped((v) => ({ ...v, [key]: value })); },
  });
  return (
    <Paper withBorder p="md" component="form" aria-label={t("edit.header")} onSubmit={async (e) => {
      e.preventDefault(); setBusy(true); setError(null);
      try { if (await onSave(changed)) setTyped({}); } catch (exc) { setError(exc instanceof Error ? exc.message : String(exc)); } finally { setBusy(false); }
    }}>
      <Title order={3} size="h5" mb="sm">{t("edit.header")}</Title>
      <SimpleGrid cols={{ base: 1, md: 3 }}>
        <TextInput type="date" label={t("invoice.issueDate")} {...field("issue_date")} />
        <TextInput type="date" label={t("invoice.dueDate")} {...field("due_date")} />
        <TextInput label={t("invoice.vatRate")} inputMode="decimal" {...field("vat_rate")} />
      </SimpleGrid>
      <TextInput mt="sm" label={t("invoice.paymentTerms")} {...field("payment_terms")} />
      <Textarea mt="sm" label={t("invoice.notes")} autosize minRows={1} {...field("notes")} />
      {error && <Alert mt="sm" color="red" role="alert">{error}</Alert>}
      {!readOnly && <Group mt="sm"><Button type="submit" size="xs" disabled={Object.keys(changed).length === 0} loading={busy}>{t("edit.saveHeader")}</Button></Group>}
    </Paper>
  );
}

type LineValues = { description?: string; quantity?: string; unit_price?: string; unit?: "hour" | "month" | "fixed"; reason?: string };

function LineModal({ line, invoice, banner, onClose, onSave, onDelete }: {
  line: Line | "new" | null; invoice: Invoice; banner: React.ReactNode; onClose: () => void;
  onSave: (values: LineValues) => Promise<void>; onDelete: (reason: string) => Promise<void>;
}) {
  const { t } = useTranslation();
  const [values, setValues] = useState<LineValues>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const current = line && line !== "new" ? invoice.lines.find((l) => l.id === line.id) ?? line : null;
  useEffect(() => {
    setError(null);
    setValues(line === "new" ? { description: "", quantity: "1", unit_price: "0.00", unit: "hour" } : {});
  }, [line]);
  const shown = (key: "description" | "quantity" | "unit_price") => values[key] ?? (current ? String(current[key]) : "");
  async function run(fn: () => Promise<void>) {
    setBusy(true); setError(null);
    try { await fn(); } catch (exc) { setError(exc instanceof Error ? exc.message : String(exc)); } finally { setBusy(false); }
  }
  const { reason, ...fields } = values;
  // a decimal comma (ru) is accepted as typed and sent as the API's decimal point
  const decimal = (v?: string) => (v === undefined ? undefined : v.trim().replace(/\s/g, "").replace(",", "."));
  const body: LineValues = { ...fields, quantity: decimal(fields.quantity), unit_price: decimal(fields.unit_price), ...(reason ? { reason } : {}) };
  for (const key of ["quantity", "unit_price"] as const) if (body[key] === undefined) delete body[key];
  return (
    <Modal opened={line !== null} onClose={onClose} title={line === "new" ? t("edit.addLine") : `${t("edit.editLine")} ${current?.position ?? ""}`} size="lg">
      <Stack>
        {banner}
        <Textarea label={t("invoice.description")} autosize value={shown("description")} onChange={(e) => { const v = e.currentTarget.value; setValues((s) => ({ ...s, description: v })); }} />
        <SimpleGrid cols={3}>
          <TextInput label={t("invoice.quantity")} inputMode="decimal" value={shown("quantity")} onChange={(e) => { const v = e.currentTarget.value; setValues((s) => ({ ...s, quantity: v })); }} />
          <TextInput label={t("invoice.unitPrice")} inputMode="decimal" value={shown("unit_price")} onChange={(e) => { const v = e.currentTarget.value; setValues((s) => ({ ...s, unit_price: v })); }} />
          <Select label={t("invoice.unit")} data={["hour", "month", "fixed"]} value={values.unit ?? (current?.unit as string) ?? "hour"} onChange={(v) => setValues((s) => ({ ...s, unit: (v ?? "hour") as LineValues["unit"] }))} allowDeselect={false} />
        </SimpleGrid>
        <TextInput label={t("edit.reason")} value={values.reason ?? ""} onChange={(e) => { const v = e.currentTarget.value; setValues((s) => ({ ...s, reason: v })); }} />
        {error && <Alert color="red" role="alert">{error}</Alert>}
        <Group justify="space-between">
          {line !== "new" ? <Button color="red" variant="subtle" loading={busy} onClick={() => run(() => onDelete(values.reason ?? ""))}>{t("edit.deleteLine")}</Button> : <span />}
          <Group>
            <Button variant="default" onClick={onClose}>{t("app.cancel")}</Button>
            <Button loading={busy} onClick={() => run(() => onSave(body))}>{t("app.save")}</Button>
          </Group>
        </Group>
      </Stack>
    </Modal>
  );
}
