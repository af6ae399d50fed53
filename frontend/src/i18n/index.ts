import i18n from "i18next";
import { initReactI18next } from "react-i18next";
import en from "./en.json";
import ru from "./ru.json";

const saved = typeof localStorage !== "undefined" ? localStorage.getItem("proxima.lang") : null;

i18n.use(initReactI18next).init({
  resources: { en: { translation: en }, ru: { translation: ru } },
  lng: saved ?? (typeof navigator !== "undefined" && navigator.language?.startsWith("ru") ? "ru" : "en"),
  fallbackLng: "en",
  interpolation: { escapeValue: false },
});

export function setLanguage(lang: "en" | "ru"): void {
  localStorage.setItem("proxima.lang", lang);
  void i18n.changeLanguage(lang);
  document.documentElement.lang = lang;
}

export default i18n;
