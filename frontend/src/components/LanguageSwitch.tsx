import { SegmentedControl } from "@mantine/core";
import { useTranslation } from "react-i18next";
import { setLanguage } from "../i18n";

export function LanguageSwitch() {
  const { t, i18n } = useTranslation();
  return (
    <SegmentedControl size="xs" aria-label={t("app.language")} value={i18n.language.slice(0, 2)}
      onChange={(value) => setLanguage(value as "en" | "ru")}
      data={[{ value: "en", label: "English" }, { value: "ru", label: "Русский" }]} />
  );
}
