import { Alert, Anchor, Badge, Button, Group, Paper, SimpleGrid, Stack, Table, Tabs, Text, Timeline, Title } from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Link, useParams } from "react-router";
import { useTranslation } from "react-i18next";
import { api, unwrap } from "../../api/client";
import type { HistoryRow, Invoice, InvoiceEvent, Job } from "../../api/types";
import { canWrite, useAuth } from "../../auth/AuthContext";
import { ErrorAlert, Loading, Money, StatusBadge } from "../../components/Common";
import { formatDate, formatDateTime, formatPeriod } from "../../lib/format";
import { ActionBar } from "./Actions";
import { useInvoice, useInvoiceList } from "./api";
import { DraftEditor } from "./DraftEditor";
import { HtmlPreview, PdfView } from "./DocumentView";
import { LeftOutAndWarnings } from "./Totals";

/** Screen 5: one invoice, its actions, document, timeline, history, credit notes and side effects. */
export default function InvoicePage() {
  const { id } = useParams();
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const { me } = useAuth();
  const query = useInvoice(id);
  if (query.isPending) return <Loading />;
  if (query.error) return <ErrorAlert error={query.error} />;
  const invoice = query.data;
  const title = invoice.number ?? t("invoice.draftNumber");
  return (
    <Stack>
      <Group justify="space-between" align="flex-start">
        <Stack gap={4}>
          <Group gap="sm">
            <Title order={2}>{invoice.kind === "credit_note" ? `${t("kind.credit_note")} ` : ""}{title}</Title>
            <StatusBadge status={invoice.status} />
            <Text size="sm" c="dimmed">{t("invoice.version", { version: invoice.version })}</Text>
          </Group>
          <Text>{invoice.customer?.legal_name || invoice.customer_name} · {formatPeriod(invoice.period, lang)} · {t(`deal.${invoice.deal_type}`)}</Text>
          {invoice.corrects_id && (
            <Anchor component={Link} to={`/invoices/${invoice.corrects_id}`} size="sm">
              {t("invoice.correctsOriginal", { number: (invoice as Invoice & { corrects_number?: string }).corrects_number ?? invoice.corrects_id })}
            </Anchor>
          )}
          {invoice.status_reason && <Text size="sm" c="red">{t("actions.reason")}: {invoice.status_reason}</Text>}
        </Stack>
        <Paper withBorder p="sm" miw={260}>
          <SimpleGrid cols={2} spacing={4} verticalSpacing={2}>
            <Text size="sm" c="dimmed">{t("invoice.issueDate")}</Text><Text size="sm">{formatDate(invoice.issue_date, lang)}</Text>
            <Text size="sm" c="dimmed">{t("invoice.dueDate")}</Text><Text size="sm">{formatDate(invoice.due_date, lang)}</Text>
            <Text size="sm" c="dimmed">{t("invoice.total")}</Text><Text size="sm" fw={700}><Money amount={invoice.total} currency={invoice.currency} /></Text>
          </SimpleGrid>
        </Paper>
      </Group>
      <ActionBar invoice={invoice} />
      <Tabs defaultValue={invoice.status === "draft" ? "lines" : "document"} keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="document">{t("invoice.document")}</Tabs.Tab>
          <Tabs.Tab value="lines">{t("invoice.lines")}</Tabs.Tab>
          <Tabs.Tab value="events">{t("invoice.events")}</Tabs.Tab>
          <Tabs.Tab value="history">{t("invoice.history")}</Tabs.Tab>
          <Tabs.Tab value="credits">{t("invoice.credits")}{invoice.corrections.length > 0 && <Badge ml={6} size="xs">{invoice.corrections.length}</Badge>}</Tabs.Tab>
          <Tabs.Tab value="jobs">{t("invoice.jobs")}</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="document" pt="md">
          {invoice.status === "draft" ? <HtmlPreview invoice={invoice} /> : <PdfView invoice={invoice} />}
        </Tabs.Panel>
        <Tabs.Panel value="lines" pt="md">
          <Stack>
            <DraftEditor invoice={invoice} readOnly={invoice.status !== "draft" || !canWrite(me)} />
            <LeftOutAndWarnings doc={invoice} />
          </Stack>
        </Tabs.Panel>
        <Tabs.Panel value="events" pt="md"><Events id={invoice.id} /></Tabs.Panel>
        <Tabs.Panel value="history" pt="md"><History id={invoice.id} /></Tabs.Panel>
        <Tabs.Panel value="credits" pt="md"><Credits invoice={invoice} /></Tabs.Panel>
        <Tabs.Panel value="jobs" pt="md"><Jobs id={invoice.id} /></Tabs.Panel>
      </Tabs>
    </Stack>
  );
}

function Events({ id }: { id: string }) {
  const { t, i18n } = useTranslation();
  const events = useInvoiceList<InvoiceEvent>(id, "events");
  if (events.isPending) return <Loading />;
  return (
    <Timeline bulletSize={14} lineWidth={2} active={(events.data?.length ?? 0) - 1}>
      {(events.data ?? []).map((e) => (
        <Timeline.Item key={e.id} title={t(`events.${e.event_type}`, { defaultValue: e.event_type })}>
          <Text size="sm" c="dimmed">
            {formatDateTime(e.created_at, i18n.language)} · {e.actor_email ?? "system"}
            {e.from_status && e.to_status && e.from_status !== e.to_status ? ` · ${t(`status.${e.from_status}`)} → ${t(`status.${e.to_status}`)}` : ""}
          </Text>
          {typeof e.payload?.reason === "string" && e.payload.reason && <Text size="sm">{t("actions.reason")}: {e.payload.reason}</Text>}
          {typeof e.payload?.number === "string" && <Text size="sm">{e.payload.number}</Text>}
        </Timeline.Item>
      ))}
    </Timeline>
  );
}

function History({ id }: { id: string }) {
  const { t, i18n } = useTranslation();
  const rows = useInvoiceList<HistoryRow>(id, "history");
  if (rows.isPending) return <Loading />;
  if (!rows.data?.length) return <Text c="dimmed">{t("app.none")}</Text>;
  return (
    <Table striped aria-label={t("invoice.history")}>
      <Table.Thead><Table.Tr><Table.Th>{t("edit.when")}</Table.Th><Table.Th>{t("edit.who")}</Table.Th><Table.Th>{t("edit.field")}</Table.Th><Table.Th>{t("edit.before")}</Table.Th><Table.Th>{t("edit.after")}</Table.Th><Table.Th>{t("actions.reason")}</Table.Th></Table.Tr></Table.Thead>
      <Table.Tbody>
        {rows.data.map((r) => (
          <Table.Tr key={r.id}>
            <Table.Td>{formatDateTime(r.created_at, i18n.language)}</Table.Td><Table.Td>{r.actor_email}</Table.Td>
            <Table.Td>{r.line_id ? `${t("invoice.lines")}: ${r.field}` : r.field}</Table.Td><Table.Td>{r.before}</Table.Td><Table.Td>{r.after}</Table.Td><Table.Td>{r.reason}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

function Credits({ invoice }: { invoice: Invoice }) {
  const { t } = useTranslation();
  if (!invoice.corrections.length) return <Text c="dimmed">{t("invoice.noCredits")}</Text>;
  return (
    <Stack gap="xs">
      {invoice.corrections.map((c) => (
        <Group key={c.id} gap="sm">
          <Anchor component={Link} to={`/invoices/${c.id}`}>{c.number ?? t("invoice.draftNumber")}</Anchor>
          <StatusBadge status={c.status} />
          {c.total && <Money amount={c.total} currency={invoice.currency} />}
        </Group>
      ))}
    </Stack>
  );
}

const JOB_COLORS: Record<Job["status"], string> = { pending: "gray", running: "blue", completed: "green", failed: "red" };

function Jobs({ id }: { id: string }) {
  const { t, i18n } = useTranslation();
  const { me } = useAuth();
  const queryClient = useQueryClient();
  // poll while anything is still moving
  const jobs = useInvoiceList<Job>(id, "jobs", (items) => (items?.some((j) => j.status === "pending" || j.status === "running") ? 1000 : false));
  const retry = useMutation({
    mutationFn: async (jobId: string) => unwrap(await api.POST("/api/jobs/{job_id}/retry", { params: { path: { job_id: jobId } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["invoice", id, "jobs"] }),
  });
  if (jobs.isPending) return <Loading />;
  if (!jobs.data?.length) return <Text c="dimmed">{t("jobs.none")}</Text>;
  return (
    <Stack>
      <ErrorAlert error={retry.error} />
      <Table aria-label={t("invoice.jobs")}>
        <Table.Thead><Table.Tr><Table.Th>{t("jobs.type")}</Table.Th><Table.Th>{t("jobs.state")}</Table.Th><Table.Th>{t("jobs.attempts")}</Table.Th><Table.Th>{t("jobs.updated")}</Table.Th><Table.Th>{t("jobs.error")}</Table.Th><Table.Th /></Table.Tr></Table.Thead>
        <Table.Tbody>
          {jobs.data.map((job) => (
            <Table.Tr key={job.id}>
              <Table.Td>{t(`jobs.${job.job_type}`, { defaultValue: job.job_type })}</Table.Td>
              <Table.Td><Badge color={JOB_COLORS[job.status]} variant="light" miw="max-content">{t(`jobs.${job.status}`)}</Badge></Table.Td>
              <Table.Td>{job.attempts}{job.max_attempts ? ` / ${job.max_attempts}` : ""}</Table.Td>
              <Table.Td><Text size="sm" c="dimmed" style={{ whiteSpace: "nowrap" }}>{formatDateTime(job.completed_at ?? job.updated_at ?? job.created_at, i18n.language)}</Text></Table.Td>
              <Table.Td><Text size="sm" c="red" lineClamp={2}>{job.error}</Text></Table.Td>
              <Table.Td>{job.status === "failed" && canWrite(me) && (
                <Button size="compact-xs" variant="light" loading={retry.isPending && retry.variables === job.id}
                  onClick={() => retry.mutate(job.id)} aria-label={`${t("jobs.retry")} ${t(`jobs.${job.job_type}`, { defaultValue: job.job_type })}`}>{t("jobs.retry")}</Button>
              )}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {jobs.data.some((j) => j.status === "failed") && !canWrite(me) && <Alert color="gray">{t("jobs.failed")}</Alert>}
    </Stack>
  );
}
