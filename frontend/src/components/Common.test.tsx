import { describe, expect, it, beforeEach } from "vitest";
import { render, screen, cleanup } from "@testing-library/react";
import { I18nextProvider } from "react-i18next";
import { MantineProvider } from "@mantine/core";
import i18n from "../i18n";
import { Money, StatusBadge } from "./Common";
import { TotalsBlock, sayWarning } from "../features/invoices/Totals";

const nb = (s: string | null) => (s ?? "").replace(/[\u00a0\u202f]/g, " ");

function renderIn(lang: "en" | "ru", ui: React.ReactElement) {
  void i18n.changeLanguage(lang);
  return render(<MantineProvider><I18nextProvider i18n={i18n}>{ui}</I18nextProvider></MantineProvider>);
}

describe("money and status as the console shows them", () => {
  beforeEach(() => cleanup());

  it("shows an amount in English and in Russian from the same decimal string", () => {
    renderIn("en", <Money amount="13440000.00" currency="UZS" />);
    expect(nb(screen.getByText(/13/).textContent)).toBe("UZS 13,440,000.00");
    cleanup();
    renderIn("ru", <Money amount="13440000.00" currency="UZS" />);
    expect(nb(screen.getByText(/13/).textContent)).toBe("13 440 000,00 UZS");
  });

  it("labels the totals block and the status from the catalogs of each language", () => {
    const doc = { subtotal: "12000000.00", vat_rate: "12.00", vat_amount: "1440000.00", total: "13440000.00", currency: "UZS" };
    renderIn("ru", <><TotalsBlock doc={doc} /><StatusBadge status="needs_review" /></>);
    const table = screen.getByRole("table", { name: "Итого" });
    expect(nb(table.textContent)).toContain("НДС 12%1 440 000,00 UZS");
    expect(nb(table.textContent)).toContain("Итого13 440 000,00 UZS");
    expect(screen.getByText("На проверке")).toBeTruthy();
    cleanup();
    renderIn("en", <><TotalsBlock doc={doc} /><StatusBadge status="needs_review" /></>);
    expect(nb(screen.getByRole("table", { name: "Total" }).textContent)).toContain("VAT 12%UZS 1,440,000.00");
    expect(screen.getByText("Needs review")).toBeTruthy();
  });

  it("says the draft's warnings in Russian from their codes, with Russian plurals and decimals", () => {
    void i18n.changeLanguage("ru");
    const t = i18n.t.bind(i18n);
    expect(sayWarning(t, "ru", "2 worklogs with zero billable time not billed.",
      { code: "zero_time_not_billed", values: { count: "2" } }))
      .toBe("2 записи с нулевым оплачиваемым временем не выставлены.");
    expect(sayWarning(t, "ru", "5 worklogs with zero billable time not billed.",
      { code: "zero_time_not_billed", values: { count: "5" } }))
      .toBe("5 записей с нулевым оплачиваемым временем не выставлено.");
    expect(nb(sayWarning(t, "ru", "Hours limit of 160 h reached: 12.50 h over the limit not billed.",
      { code: "hours_limit_reached", values: { limit: "160", hours: "12.50" } })))
      .toBe("Достигнут лимит 160,00 ч: 12,50 ч сверх лимита не выставлены.");
    // a draft saved before codes were recorded, or a code this build does not know: the server's sentence
    expect(sayWarning(t, "ru", "No billable worklogs in 2026-10.")).toBe("No billable worklogs in 2026-10.");
    expect(sayWarning(t, "ru", "Something new.", { code: "something_new", values: {} })).toBe("Something new.");
  });
});
