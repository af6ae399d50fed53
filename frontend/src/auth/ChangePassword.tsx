import { useState } from "react";
import { Alert, Button, Modal, PasswordInput, Stack } from "@mantine/core";
import { useTranslation } from "react-i18next";
import { api, unwrap } from "../api/client";
import { saveTokens } from "../api/session";

/** A new password revokes every token issued before it (all other sessions end); this one gets a fresh pair. */
export function ChangePassword() {
  const { t } = useTranslation();
  const [opened, setOpened] = useState(false);
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(event: React.FormEvent) {
    event.preventDefault();
    setBusy(true);
    setMessage(null);
    try {
      saveTokens(unwrap(await api.POST("/api/auth/password", { body: { current_password: current, new_password: next } })));
      setMessage({ ok: true, text: t("password.done") });
      setCurrent("");
      setNext("");
    } catch (exc) {
      setMessage({ ok: false, text: exc instanceof Error ? exc.message : String(exc) });
    } finally {
      setBusy(false);
    }
  }
  return (
    <>
      <Button variant="subtle" size="xs" onClick={() => { setMessage(null); setOpened(true); }}>{t("app.changePassword")}</Button>
      <Modal opened={opened} onClose={() => setOpened(false)} title={t("app.changePassword")}>
        <Stack component="form" onSubmit={submit}>
          <PasswordInput label={t("password.current")} autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.currentTarget.value)} />
          <PasswordInput label={t("password.new")} autoComplete="new-password" required minLength={10} value={next} onChange={(e) => setNext(e.currentTarget.value)} />
          {message && <Alert color={message.ok ? "teal" : "red"} role="alert">{message.text}</Alert>}
          <Button type="submit" loading={busy}>{t("password.submit")}</Button>
        </Stack>
      </Modal>
    </>
  );
}
