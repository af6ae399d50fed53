import { lazy, Suspense } from "react";
import { AppShell, Badge, Button, Group, NavLink, Stack, Text, Title } from "@mantine/core";
import { Link, Navigate, Route, Routes, useLocation } from "react-router";
import { useTranslation } from "react-i18next";
import { canWrite, useAuth } from "./auth/AuthContext";
import { LoginPage } from "./auth/LoginPage";
import { ChangePassword } from "./auth/ChangePassword";
import { LanguageSwitch } from "./components/LanguageSwitch";
import { Loading } from "./components/Common";

// Everything after sign-in is loaded on demand: the first screen carries only the sign-in form.
const NewInvoice = lazy(() => import("./features/invoices/NewInvoice"));
const InvoicePage = lazy(() => import("./features/invoices/InvoicePage"));
const Registry = lazy(() => import("./features/invoices/Registry"));
const Approvals = lazy(() => import("./features/approvals/Approvals"));
const Clients = lazy(() => import("./features/clients/Clients"));
const ClientPage = lazy(() => import("./features/clients/ClientPage"));
const Generation = lazy(() => import("./features/generation/Generation"));
const BillingRules = lazy(() => import("./features/rules/BillingRules"));
const Calculator = lazy(() => import("./features/calculator/Calculator"));

export function App() {
  const { signedIn, me, signOut } = useAuth();
  const { t } = useTranslation();
  const location = useLocation();
  if (!signedIn) return <LoginPage />;

  const links = [
    { to: "/invoices/new", label: t("nav.newInvoice"), show: canWrite(me) },
    { to: "/invoices", label: t("nav.registry"), show: true },
    { to: "/approvals", label: t("nav.approvals"), show: me?.role === "approver" || me?.role === "admin" },
    { to: "/clients", label: t("nav.clients"), show: true },
    { to: "/rules", label: t("nav.rules"), show: true },
    { to: "/calculator", label: t("nav.calculator"), show: true },
    { to: "/generation", label: t("nav.generation"), show: me?.role === "admin" },
  ];
  const active = (to: string) => location.pathname === to || (to !== "/invoices" && location.pathname.startsWith(to + "/"))
    || (to === "/invoices" && /^\/invoices\/(?!new)/.test(location.pathname));

  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 220, breakpoint: "sm" }} padding="lg">
      <AppShell.Header px="lg">
        <Group h="100%" justify="space-between">
          <Title order={1} size="h4">{t("app.name")}</Title>
          <Group gap="sm">
            <LanguageSwitch />
            {me && <Text size="sm">{me.full_name}</Text>}
            {me && <Badge variant="outline">{t(`roles.${me.role}`)}</Badge>}
            <ChangePassword />
            <Button variant="subtle" size="xs" onClick={() => void signOut()}>{t("app.signOut")}</Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="sm" aria-label="main">
        <Stack gap={2}>
          {links.filter((l) => l.show).map((l) => (
            <NavLink key={l.to} component={Link} to={l.to} label={l.label} active={active(l.to)} />
          ))}
        </Stack>
      </AppShell.Navbar>
      <AppShell.Main>
        <Suspense fallback={<Loading />}>
          <Routes>
            <Route path="/" element={<Navigate to={me?.role === "approver" ? "/approvals" : "/invoices"} replace />} />
            <Route path="/invoices" element={<Registry />} />
            <Route path="/invoices/new" element={<NewInvoice />} />
            <Route path="/invoices/:id" element={<InvoicePage />} />
            <Route path="/approvals" element={<Approvals />} />
            <Route path="/clients" element={<Clients />} />
            <Route path="/clients/:key" element={<ClientPage />} />
            <Route path="/generation" element={<Generation />} />
            <Route path="/rules" element={<BillingRules />} />
            <Route path="/calculator" element={<Calculator />} />
            <Route path="*" element={<Navigate to="/" replace />} />
          </Routes>
        </Suspense>
      </AppShell.Main>
    </AppShell>
  );
}
