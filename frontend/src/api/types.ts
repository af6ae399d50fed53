// Response shapes the OpenAPI document leaves as plain objects (invoice, prefill, registry, jobs...).
// Request bodies and parameters come from the generated schema.d.ts; these mirror the API's answers.
import type { components } from "./schema";

export type Schemas = components["schemas"];
export type Role = "viewer" | "accountant" | "approver" | "admin";
export type Me = { id: string; email: string; role: Role; full_name: string };

export type Money = string; // a decimal string: "1234.50"

export type TraceRow = {
  worklog_id: number; issue_key: string; author_name: string; work_date: string;
  raw_minutes: string; billed_minutes: number; worklog_billed_minutes: number; split: boolean; rate_rule_id: number | null;
};

export type Line = {
  id: string | null; position: number; category: string; description: string; quantity: string; unit: string;
  unit_price: Money; multiplier: string; rate?: string; amount: Money; raw_minutes: number | null;
  billed_minutes: number | null; worklog_ids: number[]; trace?: TraceRow[];
};

export type Bucket = { count: number; hours: string };
export type LeftOut = { classified_projects: Bucket; excluded_employees: Bucket; over_limit: Bucket };

export type Customer = {
  customer_key: string; name: string; legal_name: string; tin: string; country: string; address: string;
  email: string; is_resident: boolean;
};

/** A warning as its code and the values in it, index for index with the English sentences in `warnings`. */
export type WarningCode = { code: string; values: Record<string, string> };

export type Prefill = {
  application_key: string; customer_key: string; period: string; deal_type: string; currency: string;
  lines: Line[]; subtotal: Money; vat_rate: string; vat_amount: Money; total: Money; left_out: LeftOut;
  included_hours: { count: number; hours: string } | null; hours: { logged: string; billable: string; billed: string };
  warnings: string[]; warning_codes?: WarningCode[]; data_as_of: string | null; customer: Customer;
  contract: { number: string | null; date: string | null; title?: string };
};

export type InvoiceStatus = "draft" | "needs_review" | "approved" | "sent" | "accepted" | "paid" | "cancelled";
export type Action = "finalize" | "approve" | "reject" | "send" | "accept" | "pay" | "cancel" | "credit-note";

export type Invoice = Prefill & {
  id: string; kind: "invoice" | "credit_note"; corrects_id: string | null; status: InvoiceStatus;
  number: string | null; version: number; issue_date: string; due_date: string; payment_terms: string;
  notes: string; contract_number: string | null; contract_date: string | null; customer_name: string;
  finalized_by: string | null; finalized_at: string | null; approved_by: string | null; status_reason: string | null;
  created_by: string; created_at: string; updated_at: string;
  corrections: { id: string; number: string | null; status: InvoiceStatus; total: Money }[];
  allowed_actions: Action[]; pdf_available: boolean;
};

export type RegistryItem = {
  id: string; kind: "invoice" | "credit_note"; number: string | null; status: InvoiceStatus;
  application_key: string; customer_key: string; customer_name: string; period: string; deal_type: string;
  currency: string; issue_date: string; due_date: string; subtotal: Money; vat_amount: Money; total: Money;
  version: number; corrects_id: string | null; created_at: string;
};
export type CurrencyTotal = { currency: string; count: number; subtotal: Money; vat_amount: Money; total: Money };
export type RegistryPage = { items: RegistryItem[]; next_cursor: string | null; limit: number; totals: CurrencyTotal[] | null };

export type InvoiceEvent = {
  id: number; event_type: string; from_status: string | null; to_status: string | null; actor_email: string | null;
  payload: Record<string, unknown>; created_at: string;
};
export type HistoryRow = {
  id: number; line_id: string | null; field: string; before: string | null; after: string | null;
  actor_email: string | null; reason: string | null; created_at: string;
};
export type Job = {
  id: string; job_type: string; status: "pending" | "running" | "completed" | "failed"; attempts: number;
  max_attempts?: number; error: string | null; next_attempt_at?: string | null; completed_at?: string | null; updated_at?: string; created_at?: string;
};

export type Client = {
  application_key: string; customer_key: string; title: string; deal_type: "HR" | "SUP" | "FP"; status: string;
  currency: string; hourly_rate: Money | null; monthly_fee: Money | null; included_hours: string | null;
  fixed_amount: Money | null; vat_rate: string; contract_number: string | null; contract_date: string | null;
  customer_name: string; is_resident: boolean; jira_project_keys: string[];
};

