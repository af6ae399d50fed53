import { Alert, Button, Group } from "@mantine/core";
import { useTranslation } from "react-i18next";
import { ApiError } from "../../api/client";

/** The API's 400/422 body names each field: {"error": {"details": [{"field", "problem"}]}}. This maps the
 * field names to their problems so a form can show each next to its input; what names no field of the form
 * ("(body)", another field) is returned under "" and shown above the buttons. */
export function fieldErrors(error: unknown, fields: readonly string[]): Record<string, string> {
  if (!(error instanceof ApiError)) return error ? { "": error instanceof Error ? error.message : String(error) } : {};
  const details = error.details as unknown;
  const out: Record<string, string> = {};
  const rest: string[] = [];
  for (const d of Array.isArray(details) ? details as { field?: string; problem?: string }[] : []) {
    const name = (d.field ?? "").split(".")[0];
    if (fields.includes(name) && !out[name]) out[name] = d.problem ?? error.message;
    else rest.push(d.field && d.field !== "(body)" ? `${d.field}: ${d.problem}` : d.problem ?? "");
  }
  if (rest.length || Object.keys(out).length === 0) out[""] = rest.filter(Boolean).join("; ") || error.message;
  return out;
}

/** What closes every rule and setting form: the error naming no field, then Cancel and Save. */
export function FormFooter({ errors, saving, onCancel, disabled = false }: {
  errors: Record<string, string>; saving: boolean; onCancel: () => void; disabled?: boolean;
}) {
  const { t } = useTranslation();
  return (
    <>
      <FormError errors={errors} />
      <Group justify="flex-end">
        <Button variant="default" onClick={onCancel}>{t("app.cancel")}</Button>
        <Button type="submit" loading={saving} disabled={disabled}>{t("app.save")}</Button>
      </Group>
    </>
  );
}

export function FormError({ errors }: { errors: Record<string, string> }) {
  const { t } = useTranslation();
  if (!errors[""]) return null;
  return <Alert color="red" role="alert" title={t("app.error")}>{errors[""]}</Alert>;
}

/** "" -> null (the API clears a field with null); other text is sent as typed. */
export const orNull = (value: string): string | null => (value.trim() === "" ? null : value.trim());

/** Minutes are JSON integers: digits become a number; anything else is sent as typed so the API names the field. */
export const minutesOrNull = (value: string): number | string | null =>
  value.trim() === "" ? null : /^\d+$/.test(value.trim()) ? Number(value.trim()) : value.trim();

/** When a rule is in force, in words: "always", "from 1 Nov 2026", "until …", or "1 Nov 2026 – 31 Dec 2026". */
export function inForce(t: (key: string, options?: Record<string, unknown>) => string, from: string | null, to: string | null,
  format: (iso: string) => string): string {
  if (!from && !to) return t("rules.always");
  if (!to) return t("rules.fromDate", { date: format(from!) });
  if (!from) return t("rules.untilDate", { date: format(to) });
  return `${format(from)} – ${format(to)}`;
}
