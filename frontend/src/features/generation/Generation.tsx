import { useState } from "react";
import { Alert, Badge, Button, Group, Progress, SimpleGrid, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { api, unwrap } from "../../api/client";
import type { Schemas } from "../../api/types";
import { useAuth } from "../../auth/AuthContext";
import { ErrorAlert } from "../../components/Common";
import { formatDateTime, formatPeriod, previousPeriod } from "../../lib/format";

type Run = Schemas["GenerationRunOut"];
type RunItem = Schemas["RunItemOut"];
const COUNTS = ["created", "existing", "skipped", "failed", "pending"] as const;
const STATUS_COLORS: Record<Run["status"], string> = { running: "blue", completed: "green", completed_with_failures: "red" };

export function RunStatus({ status }: { status: Run["status"] }) {
  const { t } = useTranslation();
  return <Badge color={STATUS_COLORS[status]} variant="light" style={{ overflow: "visible" }} styles={{ label: { overflow: "visible" } }}>{t(`generation.status.${status}`)}</Badge>;
}

function Items({ label, items }: { label: string; items: RunItem[] }) {
  const { t } = useTranslation();
  if (items.length === 0) return null;
  return (
    <Stack gap={4}>
      <Title order={3} size="h5">{label}</Title>
      <Table striped aria-label={label}>
        <Table.Thead><Table.Tr><Table.Th>{t("generation.client")}</Table.Th><Table.Th>{t("generation.reason")}</Table.Th><Table.Th ta="right">{t("generation.attempts")}</Table.Th></Table.Tr></Table.Thead>
        <Table.Tbody>{items.map((e) => (
          <Table.Tr key={e.application_key}><Table.Td>{e.application_key}</Table.Td><Table.Td>{e.reason ?? "—"}</Table.Td><Table.Td ta="right">{e.attempts}</Table.Td></Table.Tr>
        ))}</Table.Tbody>
      </Table>
    </Stack>
  );
}

/** Screen 7: an admin starts the month's drafts (POST /api/generation-runs) and watches the run's counts
 * (GET /api/generation-runs/{id}, polled while it is running). Any role may read runs; only an admin starts one. */
export default function Generation() {
  const { t, i18n } = useTranslation();
  const { me } = useAuth();
  const queryClient = useQueryClient();
  const [period, setPeriod] = useState(previousPeriod(new Date()));
  const [runId, setRunId] = useState<string | null>(null);
  const start = useMutation({
    mutationFn: async () => unwrap(await api.POST("/api/generation-runs", { body: { period } })) as Run,
    onSuccess: (run) => { setRunId(run.id); queryClient.setQueryData(["generation-run", run.id], run); void queryClient.invalidateQueries({ queryKey: ["generation-runs"] }); },
  });
  const run = useQuery({
    queryKey: ["generation-run", runId],
    enabled: !!runId,
    queryFn: async () => unwrap(await api.GET("/api/generation-runs/{run_id}", { params: { path: { run_id: runId! } } })) as Run,
    refetchInterval: (q) => (q.state.data?.status === "running" ? 1000 : false),
  });
  const recent = useQuery({
    queryKey: ["generation-runs", run.data?.status], enabled: me?.role === "admin",
    queryFn: async () => unwrap(await api.GET("/api/generation-runs", { params: { query: { limit: 10 } } })),
  });
  if (me?.role !== "admin") return <Alert color="gray">{t("generation.adminOnly")}</Alert>;
  const r = run.data;
  const c = r?.counts;
  const done = c ? c.total - c.pending : 0;
  return (
    <Stack maw={1000}>
      <Title order={2}>{t("generation.title")}</Title>
      <Text size="sm" c="dimmed">{t("generation.explain")}</Text>
      <Group align="flex-end">
        <TextInput type="month" label={t("generation.period")} value={period} onChange={(e) => setPeriod(e.currentTarget.value)} />
        <Button loading={start.isPending} disabled={!period || r?.status === "running"} onClick={() => start.mutate()}>{t("generation.start")}</Button>
      </Group>
      <ErrorAlert error={start.error ?? run.error} />
      {r && c && (
        <Stack aria-label={t("generation.run")} role="region">
          <Group gap="sm">
            <Text fw={600}>{t("generation.runFor", { period: formatPeriod(r.period, i18n.language) })}</Text>
            <RunStatus status={r.status} />
            <Text size="sm" c="dimmed" aria-label={t("generation.progress")}>{t("generation.doneOf", { done, total: c.total })}</Text>
          </Group>
          <Progress value={c.total ? (100 * done) / c.total : 100} color={c.failed ? "red" : r.status === "running" ? "blue" : "green"} animated={r.status === "running"} aria-label={t("generation.progress")} />
          <SimpleGrid cols={5}>
            {COUNTS.map((k) => (
              <Stack key={k} gap={0} aria-label={t(`generation.${k}`)} role="group">
                <Text size="xl" fw={700} c={k === "failed" && c[k] ? "red" : undefined} data-count={k}>{c[k]}</Text>
                <Text size="xs" c="dimmed">{t(`generation.${k}`)}</Text>
              </Stack>
            ))}
          </SimpleGrid>
          <Items label={t("generation.errors")} items={r.errors} />
          <Items label={t("generation.retrying")} items={r.retrying} />
          <Items label={t("generation.skippedList")} items={r.skipped} />
        </Stack>
      )}
      {(recent.data?.items.length ?? 0) > 0 && (
        <Stack gap={4}>
          <Title order={3} size="h5">{t("generation.recent")}</Title>
          <Table striped highlightOnHover aria-label={t("generation.recent")}>
            <Table.Thead><Table.Tr>
              <Table.Th>{t("generation.period")}</Table.Th><Table.Th>{t("generation.startedAt")}</Table.Th><Table.Th>{t("generation.trigger")}</Table.Th><Table.Th>{t("generation.statusLabel")}</Table.Th>
              {COUNTS.map((k) => <Table.Th key={k} ta="right">{t(`generation.${k}`)}</Table.Th>)}
            </Table.Tr></Table.Thead>
            <Table.Tbody>{recent.data!.items.map((x) => (
              <Table.Tr key={x.id} style={{ cursor: "pointer" }} onClick={() => setRunId(x.id)} aria-selected={x.id === runId}>
                <Table.Td style={{ whiteSpace: "nowrap" }}>{formatPeriod(x.period, i18n.language)}</Table.Td><Table.Td style={{ whiteSpace: "nowrap" }}>{formatDateTime(x.created_at, i18n.language)}</Table.Td>
                <Table.Td>{t(`generation.triggers.${x.trigger}`)}</Table.Td><Table.Td><RunStatus status={x.status} /></Table.Td>
                {COUNTS.map((k) => <Table.Td key={k} ta="right">{x.counts[k]}</Table.Td>)}
              </Table.Tr>
            ))}</Table.Tbody>
          </Table>
        </Stack>
      )}
    </Stack>
  );
}
