import { describe, expect, it } from "vitest";
import { formatDate, formatDateTime, formatDecimal, formatMoney, formatPeriod, previousPeriod } from "./format";

// Intl separators: ru groups with a narrow no-break space (U+202F) and writes a decimal comma.
const nb = (s: string) => s.replace(/[\u00a0\u202f]/g, " ");

describe("formatMoney", () => {
  it("formats EUR in English with grouping and two decimals", () => {
    expect(formatMoney("56057.54", "EUR", "en")).toBe("€56,057.54");
  });
  it("formats EUR in Russian with a decimal comma and the sign after", () => {
    expect(nb(formatMoney("56057.54", "EUR", "ru"))).toBe("56 057,54 €");
  });
  it("keeps every digit of a large UZS amount (no float rounding)", () => {
    expect(nb(formatMoney("12345678901234567.89", "UZS", "ru"))).toBe("12 345 678 901 234 567,89 UZS");
    expect(nb(formatMoney("12345678901234567.89", "UZS", "en"))).toBe("UZS 12,345,678,901,234,567.89");
  });
  it("pads whole amounts to cents and keeps negative credit-note amounts", () => {
    expect(formatMoney("225", "EUR", "en")).toBe("€225.00");
    expect(nb(formatMoney("-90.10", "USD", "ru"))).toBe("-90,10 $");
  });
  it("shows a dash for a missing amount", () => {
    expect(formatMoney(null, "EUR", "en")).toBe("—");
  });
});

describe("formatDecimal", () => {
  it("formats hours in both languages", () => {
    expect(formatDecimal("1105.65", "en")).toBe("1,105.65");
    expect(nb(formatDecimal("1105.65", "ru"))).toBe("1 105,65");
  });
});

describe("dates", () => {
  it("formats a calendar date without shifting it by the time zone", () => {
    expect(formatDate("2026-12-01", "en")).toBe("1 Dec 2026");
    expect(nb(formatDate("2026-12-01", "ru"))).toBe("1 дек. 2026 г.");
  });
  it("formats a moment in the given time zone", () => {
    expect(formatDateTime("2026-11-30T23:30:00+00:00", "en", "Asia/Tashkent")).toBe("1 Dec 2026, 04:30");
    expect(nb(formatDateTime("2026-11-30T23:30:00+00:00", "ru", "Asia/Tashkent"))).toBe("1 дек. 2026 г., 04:30");
  });
  it("names a billing period in both languages", () => {
    expect(formatPeriod("2026-10", "en")).toBe("October 2026");
    expect(formatPeriod("2026-10", "ru")).toBe("Октябрь 2026");
  });
  it("takes the previous month across a year boundary", () => {
    expect(previousPeriod(new Date(Date.UTC(2027, 0, 15)))).toBe("2026-12");
    expect(previousPeriod(new Date(Date.UTC(2026, 10, 30)))).toBe("2026-10");
  });
});
