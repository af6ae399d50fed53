// Money, dates and periods formatted in one place, with Intl, for the UI language.
// Money arrives as decimal strings ("1234.50") and is formatted from the string itself:
// Intl.NumberFormat reads a numeric string exactly (no float on the way), so 0.1 + 0.2 never shows up.

export type Lang = "en" | "ru";

const locales: Record<Lang, string> = { en: "en-GB", ru: "ru-RU" };

function locale(lang: string): string {
  return locales[(lang.slice(0, 2) as Lang)] ?? locales.en;
}

type NumericString = `${number}`;

/** "56057.54", "EUR" -> "€56,057.54" (en) / "56 057,54 €" (ru). Never rounds: shows the API's digits. */
export function formatMoney(amount: string | null | undefined, currency: string, lang: string): string {
  if (amount === null || amount === undefined || amount === "") return "—";
  const fmt = new Intl.NumberFormat(locale(lang), {
    style: "currency",
    currency,
    minimumFractionDigits: 2,
    maximumFractionDigits: 20,
  });
  return fmt.format(amount as NumericString);
}

/** A plain decimal (hours, quantities, rates) in the language's grouping. */
export function formatDecimal(value: string | null | undefined, lang: string, minFraction = 2): string {
  if (value === null || value === undefined || value === "") return "—";
  return new Intl.NumberFormat(locale(lang), { minimumFractionDigits: minFraction, maximumFractionDigits: 20 })
    .format(value as NumericString);
}

/** "2026-11-30" -> "30 Nov 2026" / "30 нояб. 2026 г.". A calendar date: no time zone shift. */
export function formatDate(iso: string | null | undefined, lang: string): string {
  if (!iso) return "—";
  const [y, m, d] = iso.slice(0, 10).split("-").map(Number);
  return new Intl.DateTimeFormat(locale(lang), { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" })
    .format(new Date(Date.UTC(y, m - 1, d)));
}

/** A moment (ISO with offset) in the reader's time zone, to the minute. */
export function formatDateTime(iso: string | null | undefined, lang: string, timeZone?: string): string {
  if (!iso) return "—";
  return new Intl.DateTimeFormat(locale(lang), {
    day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", timeZone,
  }).format(new Date(iso));
}

/** "2026-10" -> "October 2026" / "октябрь 2026". */
export function formatPeriod(period: string | null | undefined, lang: string): string {
  if (!period) return "—";
  const [y, m] = period.split("-").map(Number);
  const text = new Intl.DateTimeFormat(locale(lang), { month: "long", year: "numeric", timeZone: "UTC" })
    .format(new Date(Date.UTC(y, m - 1, 1)));
  // ru: "октябрь 2026 г." -> "Октябрь 2026" reads as a period heading
  return (text.charAt(0).toUpperCase() + text.slice(1)).replace(/\s?г\.$/, "");
}

/** The previous calendar month of a date, "YYYY-MM" (the month normally being invoiced). */
export function previousPeriod(today: Date): string {
  const d = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() - 1, 1));
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, "0")}`;
}
