import { Alert, Stack, Tabs, Title } from "@mantine/core";
import { useTranslation } from "react-i18next";
import { canWrite, useAuth } from "../../auth/AuthContext";
import { ChangeLog } from "./ChangeLog";
import { Classifications } from "./Classifications";
import { Exclusions } from "./Exclusions";
import { RateRules } from "./RateRules";
import { Settings } from "./Settings";

/** Screen 8: rate rules per client, project classifications, employee exclusions, settings and the change
 * log. Everyone reads them; an accountant or admin adds, changes and removes them (the API audits each). */
export default function BillingRules() {
  const { t } = useTranslation();
  const { me } = useAuth();
  const editable = canWrite(me);
  return (
    <Stack>
      <Title order={2}>{t("rules.title")}</Title>
      {!editable && <Alert color="gray">{t("rules.readOnly")}</Alert>}
      <Tabs defaultValue="rates" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="rates">{t("rules.rates")}</Tabs.Tab>
          <Tabs.Tab value="projects">{t("rules.projects")}</Tabs.Tab>
          <Tabs.Tab value="exclusions">{t("rules.exclusions")}</Tabs.Tab>
          <Tabs.Tab value="settings">{t("rules.settings")}</Tabs.Tab>
          <Tabs.Tab value="changes">{t("rules.changes")}</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="rates" pt="md"><RateRules editable={editable} /></Tabs.Panel>
        <Tabs.Panel value="projects" pt="md"><Classifications editable={editable} /></Tabs.Panel>
        <Tabs.Panel value="exclusions" pt="md"><Exclusions editable={editable} /></Tabs.Panel>
        <Tabs.Panel value="settings" pt="md"><Settings editable={me?.role === "admin"} /></Tabs.Panel>
        <Tabs.Panel value="changes" pt="md"><ChangeLog /></Tabs.Panel>
      </Tabs>
    </Stack>
  );
}
