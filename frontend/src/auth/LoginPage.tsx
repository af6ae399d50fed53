import { useState } from "react";
import { Alert, Button, Center, Paper, PasswordInput, Stack, TextInput, Title } from "@mantine/core";
import { useTranslation } from "react-i18next";
import { ApiError } from "../api/client";
import { useAuth } from "./AuthContext";
import { LanguageSwitch } from "../components/LanguageSwitch";

export function LoginPage() {
  const { t } = useTranslation();
  const { signIn, expired } = useAuth();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: React.FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(email, password);
    } catch (exc) {
      if (exc instanceof ApiError && exc.status === 429) {
        setError(t("login.throttled", { seconds: exc.details.retry_after ?? 60 }));
      } else if (exc instanceof ApiError && (exc.status === 401 || exc.status === 400)) {
        setError(t("login.failed"));
      } else {
        setError(exc instanceof Error ? exc.message : String(exc));
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <Center h="100vh" bg="gray.0">
      <Paper component="form" onSubmit={submit} w={380} p="xl" radius="md" withBorder shadow="sm">
        <Stack>
          <Title order={2} size="h3">{t("login.title")}</Title>
          {expired && <Alert color="yellow">{t("login.expired")}</Alert>}
          {error && <Alert color="red" role="alert">{error}</Alert>}
          <TextInput label={t("login.email")} type="email" autoComplete="username" required
            value={email} onChange={(e) => setEmail(e.currentTarget.value)} />
          <PasswordInput label={t("login.password")} autoComplete="current-password" required
            value={password} onChange={(e) => setPassword(e.currentTarget.value)} />
          <Button type="submit" loading={busy}>{t("login.submit")}</Button>
          <LanguageSwitch />
        </Stack>
      </Paper>
    </Center>
  );
}
