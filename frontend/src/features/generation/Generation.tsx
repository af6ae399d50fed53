import { useState } from "react";
import { Alert, Button, Group, Progress, SimpleGrid, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { authedFetch } from "../../api/client";
import type { GenerationRun } from "../../api/types";
import { useAuth } from "../../auth/AuthContext";
import { ErrorAlert } from "../../components/Common";
import { previousPeriod } from "../../lib/format";

// The generation-run resource (POST /api/generation-runs, GET /api/generation-runs/{id}) is built on the
// consoleapi branch; it is not in the OpenAPI types yet, so it is called with a plain authenticated fetch.
async function json<T>(response: Response): Promise<T> {
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body?.error?.message ?? `${response.status}`);
  return body as T;
}

/** Screen 7: an admin starts the month's drafts and watches the counts. */
export default function Generation() {
  const { t } = useTranslation();
  const { me } = useAuth();
  const [period, setPeriod] = useState(previousPeriod(new Date()));
  const [runId, setRunId] = useState<string | null>(null);
  const start = useMutation({
    mutationFn: async () => json<GenerationRun>(await authedFetch("/api/generation-runs", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ period }) })),
    onSuccess: (run) => setRunId(run.id),
  });
  const run = useQuery({
    queryKey: ["generation-run", runId],
    enabled: !!runId,
    queryFn: async () => json<GenerationRun>(await authedFetch(`/api/generation-runs/${runId}`)),
    refetchInterval: (q) => (q.state.data?.status === "running" || !q.state.data ? 1000 : false),
  });
  if (me?.role !== "admin") return <Alert color="gray">{t("generation.adminOnly")}</Alert>;
  const r = run.data ?? start.data;
  const done = r ? r.created + r.existing + r.skipped + r.failed : 0;
  const total = r?.total ?? 0;
  return (
    <Stack maw={800}>
      <Title order={2}>{t("generation.title")}</Title>
      <Group align="flex-end">
        <TextInput type="month" label={t("generation.period")} value={period} onChange={(e) => setPeriod(e.currentTarget.value)} />
        <Button loading={start.isPending} disabled={r?.status === "running"} onClick={() => start.mutate()}>{t("generation.start")}</Button>
      </Group>
      <ErrorAlert error={start.error ?? run.error} />
      {r && (
        <Stack>
          <Progress value={total ? (100 * done) / total : r.status === "running" ? 5 : 100} animated={r.status === "running"} aria-label={t("generation.title")} />
          <Text size="sm">{r.status === "running" ? t("generation.running") : t("generation.finished")} {total ? `${done} / ${total}` : ""}</Text>
          <SimpleGrid cols={4}>
            {(["created", "existing", "skipped", "failed"] as const).map((k) => (
              <Stack key={k} gap={0}><Text size="xl" fw={700} c={k === "failed" && r[k] ? "red" : undefined}>{r[k]}</Text><Text size="xs" c="dimmed">{t(`generation.${k}`)}</Text></Stack>
            ))}
          </SimpleGrid>
          {(r.errors?.length ?? 0) > 0 && (
            <Table aria-label={t("generation.errors")}>
              <Table.Tbody>{r.errors!.map((e) => <Table.Tr key={e.application_key}><Table.Td>{e.application_key}</Table.Td><Table.Td>{e.error}</Table.Td></Table.Tr>)}</Table.Tbody>
            </Table>
          )}
        </Stack>
      )}
    </Stack>
  );
}
