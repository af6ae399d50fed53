import { useState } from "react";
import { Alert, Button, Group, Modal, Stack, Text, TextInput, Textarea } from "@mantine/core";
import { useNavigate } from "react-router";
import { useTranslation } from "react-i18next";
import { canDo, useAuth } from "../../auth/AuthContext";
import type { Action, Invoice } from "../../api/types";
import { useTransition } from "./api";

const NEEDS_REASON = new Set<Action>(["reject", "cancel", "credit-note"]);
const ASKS = new Set<Action>(["reject", "cancel", "credit-note", "pay"]);
const COLORS: Partial<Record<Action, string>> = { approve: "teal", reject: "red", cancel: "red", finalize: "indigo" };

/** The invoice's allowed actions (from the API) that this user's role may take, as buttons. */
export function ActionBar({ invoice, only, onDone }: { invoice: Invoice; only?: Action[]; onDone?: (inv: Invoice) => void }) {
  const { t } = useTranslation();
  const { me } = useAuth();
  const navigate = useNavigate();
  const transition = useTransition(invoice);
  const [asking, setAsking] = useState<Action | null>(null);
  const [reason, setReason] = useState("");
  const [paidOn, setPaidOn] = useState("");
  const [reference, setReference] = useState("");
  const [error, setError] = useState<string | null>(null);
  // "edit" is offered as the draft editor itself, not as a button
  const actions = invoice.allowed_actions.filter((a) => (a as string) !== "edit" && canDo(me, a, invoice.finalized_by) && (!only || only.includes(a)));
  const ownInvoice = invoice.allowed_actions.includes("approve") && me && (me.role === "approver" || me.role === "admin") && invoice.finalized_by === me.id;

  async function run(action: Action) {
    setError(null);
    const body: Record<string, string> = {};
    if (reason) body.reason = reason;
    if (action === "pay") { if (paidOn) body.paid_on = paidOn; body.reference = reference; }
    try {
      const result = await transition.mutateAsync({ action, body });
      setAsking(null); setReason("");
      if (action === "credit-note") navigate(`/invoices/${result.id}`);
      else onDone?.(result);
    } catch (exc) {
      setError(exc instanceof Error ? exc.message : String(exc));
    }
  }

  return (
    <Stack gap="xs">
      <Group gap="xs">
        {actions.map((action) => (
          <Button key={action} color={COLORS[action]} variant={action === "reject" || action === "cancel" ? "outline" : "filled"}
            loading={transition.isPending && transition.variables?.action === action}
            onClick={() => (ASKS.has(action) ? setAsking(action) : void run(action))}>
            {t(`actions.${action}`)}
          </Button>
        ))}
      </Group>
      {ownInvoice && <Text size="sm" c="dimmed">{t("invoice.ownInvoice")}</Text>}
      {error && !asking && <Alert color="red" role="alert">{error}</Alert>}
      <Modal opened={asking !== null} onClose={() => setAsking(null)} title={asking ? t(`actions.${asking}`) : ""}>
        <Stack>
          {asking === "pay" && <>
            <TextInput type="date" label={t("actions.paidOn")} value={paidOn} onChange={(e) => setPaidOn(e.currentTarget.value)} />
            <TextInput label={t("actions.reference")} value={reference} onChange={(e) => setReference(e.currentTarget.value)} />
          </>}
          <Textarea label={t("actions.reason")} required={asking !== null && NEEDS_REASON.has(asking)} value={reason}
            onChange={(e) => setReason(e.currentTarget.value)} autosize minRows={2} />
          {error && <Alert color="red" role="alert">{error}</Alert>}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setAsking(null)}>{t("app.cancel")}</Button>
            <Button color={asking ? COLORS[asking] : undefined} loading={transition.isPending}
              disabled={asking !== null && NEEDS_REASON.has(asking) && !reason.trim()}
              onClick={() => asking && void run(asking)}>{t("actions.confirm")}</Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}
