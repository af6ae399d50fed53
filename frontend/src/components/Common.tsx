import { Alert, Badge, Center, Loader } from "@mantine/core";
import { useTranslation } from "react-i18next";
import type { InvoiceStatus } from "../api/types";
import { formatMoney } from "../lib/format";

const STATUS_COLORS: Record<InvoiceStatus, string> = {
  draft: "gray", needs_review: "yellow", approved: "teal", sent: "blue", accepted: "indigo", paid: "green", cancelled: "red",
};

export function StatusBadge({ status }: { status: InvoiceStatus }) {
  const { t } = useTranslation();
  return <Badge color={STATUS_COLORS[status] ?? "gray"} variant="light" miw="max-content">{t(`status.${status}`)}</Badge>;
}

export function Money({ amount, currency }: { amount: string | null | undefined; currency: string }) {
  const { i18n } = useTranslation();
  return <span style={{ fontVariantNumeric: "tabular-nums", whiteSpace: "nowrap" }}>{formatMoney(amount, currency, i18n.language)}</span>;
}

export function Loading() {
  const { t } = useTranslation();
  return <Center p="xl"><Loader aria-label={t("app.loading")} /></Center>;
}

export function ErrorAlert({ error }: { error: unknown }) {
  const { t } = useTranslation();
  if (!error) return null;
  return <Alert color="red" role="alert" title={t("app.error")}>{error instanceof Error ? error.message : String(error)}</Alert>;
}
