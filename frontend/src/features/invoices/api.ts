import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import type { Client, HistoryRow, Invoice, InvoiceEvent, Job, Prefill, Schemas } from "../../api/types";

export function useClients(params: { deal_type?: "HR" | "SUP" | "FP"; status?: "active" | "paused" | "closed"; q?: string } = {}) {
  return useQuery({
    queryKey: ["clients", params],
    queryFn: async () => unwrap(await api.GET("/api/clients", { params: { query: params } })) as unknown as { items: Client[] },
    staleTime: 60_000,
  });
}

export async function fetchPrefill(application_key: string, period: string): Promise<Prefill> {
  return unwrap(await api.POST("/api/invoices/prefill", {
    params: { query: { include_trace: "true" } }, body: { application_key, period },
  })) as unknown as Prefill;
}

export function useInvoice(id: string | undefined) {
  return useQuery({
    queryKey: ["invoice", id],
    enabled: !!id,
    queryFn: async () => unwrap(await api.GET("/api/invoices/{invoice_id}", { params: { path: { invoice_id: id! } } })) as unknown as Invoice,
  });
}

type Sub = "events" | "history" | "jobs";
export function useInvoiceList<T extends InvoiceEvent | HistoryRow | Job>(id: string, sub: Sub, refetchInterval?: number | false | ((items: T[] | undefined) => number | false)) {
  return useQuery({
    queryKey: ["invoice", id, sub],
    queryFn: async () => {
      const path = `/api/invoices/{invoice_id}/${sub}` as "/api/invoices/{invoice_id}/events";
      return (unwrap(await api.GET(path, { params: { path: { invoice_id: id } } })) as unknown as { items: T[] }).items;
    },
    refetchInterval: typeof refetchInterval === "function" ? (q) => refetchInterval(q.state.data as T[] | undefined) : refetchInterval,
  });
}

const ifMatch = (version: number) => ({ "If-Match": `"${version}"` });

/** Every edit sends the version it was made on; a 412 surfaces as ApiError(status 412). */
export function useInvoiceEdits(invoice: Invoice) {
  const queryClient = useQueryClient();
  const invalidate = () => queryClient.invalidateQueries({ queryKey: ["invoice", invoice.id] });
  const path = { invoice_id: invoice.id };
  const onSuccess = (data: unknown) => {
    queryClient.setQueryData(["invoice", invoice.id], data);
    void invalidate();
  };
  return {
    patchHeader: useMutation({
      mutationFn: async (body: Schemas["InvoicePatch"]) => unwrap(await api.PATCH("/api/invoices/{invoice_id}", {
        params: { path, header: ifMatch(invoice.version) }, body })) as unknown as Invoice,
      onSuccess,
    }),
    patchLine: useMutation({
      mutationFn: async ({ lineId, body }: { lineId: string; body: Schemas["LinePatch"] }) =>
        unwrap(await api.PATCH("/api/invoices/{invoice_id}/lines/{line_id}", {
          params: { path: { ...path, line_id: lineId }, header: ifMatch(invoice.version) }, body })) as unknown as Invoice,
      onSuccess,
    }),
    addLine: useMutation({
      mutationFn: async (body: Schemas["LineInput"]) => unwrap(await api.POST("/api/invoices/{invoice_id}/lines", {
        params: { path, header: ifMatch(invoice.version) }, body })) as unknown as Invoice,
      onSuccess,
    }),
    deleteLine: useMutation({
      mutationFn: async ({ lineId, reason }: { lineId: string; reason: string }) =>
        unwrap(await api.DELETE("/api/invoices/{invoice_id}/lines/{line_id}", {
          params: { path: { ...path, line_id: lineId }, header: ifMatch(invoice.version) }, body: { reason } })) as unknown as Invoice,
      onSuccess,
    }),
    reload: invalidate,
  };
}

export function useTransition(invoice: Invoice) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ action, body }: { action: string; body: Record<string, string> }) => {
      const path = `/api/invoices/{invoice_id}/${action}` as "/api/invoices/{invoice_id}/finalize";
      return unwrap(await api.POST(path, { params: { path: { invoice_id: invoice.id } }, body })) as unknown as Invoice;
    },
    onSuccess: (data) => {
      if (data && (data as Invoice).id === invoice.id) queryClient.setQueryData(["invoice", invoice.id], data);
      void queryClient.invalidateQueries({ queryKey: ["invoice", invoice.id] });
      void queryClient.invalidateQueries({ queryKey: ["registry"] });
    },
  });
}
