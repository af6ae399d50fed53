import { useState } from "react";
import { Alert, Anchor, Button, Group, Select, Stack, Stepper, TextInput, Title } from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate, useSearchParams } from "react-router";
import { useTranslation } from "react-i18next";
import { api, ApiError, unwrap } from "../../api/client";
import type { Invoice } from "../../api/types";
import { canWrite, useAuth } from "../../auth/AuthContext";
import { ErrorAlert, Loading } from "../../components/Common";
import { previousPeriod } from "../../lib/format";
import { ActionBar } from "./Actions";
import { fetchPrefill, useClients, useInvoice } from "./api";
import { DraftEditor } from "./DraftEditor";
import { HtmlPreview } from "./DocumentView";
import { PrefillView } from "./PrefillView";

/** Screen 3: client + month → preview → draft → edit → review → finalize. */
export default function NewInvoice() {
  const { t } = useTranslation();
  const { me } = useAuth();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [params] = useSearchParams();
  const [step, setStep] = useState(0);
  const [applicationKey, setApplicationKey] = useState<string | null>(params.get("client"));
  const [period, setPeriod] = useState(previousPeriod(new Date()));
  const [invoiceId, setInvoiceId] = useState<string | null>(null);
  const clients = useClients();
  const invoice = useInvoice(invoiceId ?? undefined);

  const prefill = useMutation({ mutationFn: () => fetchPrefill(applicationKey!, period), onSuccess: () => setStep(1) });
  const create = useMutation({
    mutationFn: async () => unwrap(await api.POST("/api/invoices", { body: { application_key: applicationKey!, period } })) as unknown as Invoice,
    onSuccess: (inv) => {
      queryClient.setQueryData(["invoice", inv.id], inv);
      void queryClient.invalidateQueries({ queryKey: ["registry"] });
      setInvoiceId(inv.id);
      setStep(2);
    },
  });
  const existing = create.error instanceof ApiError && create.error.status === 409 ? String(create.error.details.id ?? "") : null;

  const options = (clients.data?.items ?? []).filter((c) => c.status === "active").map((c) => ({
    value: c.application_key, label: `${c.customer_name} — ${c.application_key} (${t(`deal.${c.deal_type}`)}, ${c.currency})`,
  }));

  return (
    <Stack>
      <Title order={2}>{t("wizard.title")}</Title>
      <Stepper active={step} onStepClick={(s) => s < step && (s < 2 || invoiceId) && setStep(s)} size="sm">
        <Stepper.Step label={t("wizard.step1")} description={t("wizard.step1d")}>
          <Stack maw={560} mt="md">
            <Select label={t("wizard.client")} placeholder={t("wizard.clientPlaceholder")} searchable data={options}
              value={applicationKey} onChange={setApplicationKey} nothingFoundMessage="—" disabled={clients.isPending} />
            <TextInput type="month" label={t("wizard.month")} value={period} onChange={(e) => setPeriod(e.currentTarget.value)} />
            <ErrorAlert error={prefill.error} />
            <Group><Button disabled={!applicationKey || !/^\d{4}-\d{2}$/.test(period)} loading={prefill.isPending} onClick={() => prefill.mutate()}>{t("wizard.preview")}</Button></Group>
          </Stack>
        </Stepper.Step>
        <Stepper.Step label={t("wizard.step2")} description={t("wizard.step2d")}>
          {prefill.data && (
            <Stack mt="md">
              <PrefillView prefill={prefill.data} />
              {existing ? (
                <Alert color="yellow" role="alert">{t("wizard.exists")} <Anchor component={Link} to={`/invoices/${existing}`}>{t("wizard.openExisting")}</Anchor></Alert>
              ) : <ErrorAlert error={create.error} />}
              <Group>
                <Button variant="default" onClick={() => setStep(0)}>{t("app.back")}</Button>
                {canWrite(me)
                  ? <Button loading={create.isPending} disabled={!!existing} onClick={() => create.mutate()}>{t("wizard.create")}</Button>
                  : <Alert color="gray">{t("wizard.viewerCannotCreate")}</Alert>}
              </Group>
            </Stack>
          )}
        </Stepper.Step>
        <Stepper.Step label={t("wizard.step3")} description={t("wizard.step3d")}>
          {invoice.isPending ? <Loading /> : invoice.data && (
            <Stack mt="md">
              <DraftEditor invoice={invoice.data} />
              <Group><Button onClick={() => setStep(3)}>{t("wizard.next")}</Button></Group>
            </Stack>
          )}
        </Stepper.Step>
        <Stepper.Step label={t("wizard.step4")} description={t("wizard.step4d")}>
          {invoice.data && (
            <Stack mt="md">
              <Group>
                <Button variant="default" onClick={() => setStep(2)}>{t("wizard.toEdit")}</Button>
                <ActionBar invoice={invoice.data} only={["finalize"]} onDone={(inv) => navigate(`/invoices/${inv.id}`)} />
              </Group>
              <HtmlPreview invoice={invoice.data} />
            </Stack>
          )}
        </Stepper.Step>
      </Stepper>
    </Stack>
  );
}
