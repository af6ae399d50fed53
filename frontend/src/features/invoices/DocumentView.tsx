import { useEffect, useState } from "react";
import { Alert, Box, Loader } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { authedFetch } from "../../api/client";
import type { Invoice } from "../../api/types";

/** The rendered HTML the PDF is made from (drafts too), in a sandboxed frame. */
export function HtmlPreview({ invoice }: { invoice: Invoice }) {
  const { t } = useTranslation();
  const html = useQuery({
    queryKey: ["invoice", invoice.id, "preview", invoice.version],
    queryFn: async () => {
      const response = await authedFetch(`/api/invoices/${invoice.id}/preview`, { headers: { Accept: "text/html" } });
      if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
      return response.text();
    },
  });
  if (html.isPending) return <Loader />;
  if (html.error) return <Alert color="red">{String(html.error)}</Alert>;
  return <Box component="iframe" title={t("invoice.htmlPreview")} sandbox="" srcDoc={html.data}
    w="100%" h={900} style={{ border: "1px solid var(--mantine-color-gray-3)", background: "white" }} />;
}

/** The stored PDF, inline (Chromium's viewer), fetched with the bearer token into a blob URL. */
export function PdfView({ invoice }: { invoice: Invoice }) {
  const { t } = useTranslation();
  const [url, setUrl] = useState<string | null>(null);
  const pdf = useQuery({
    queryKey: ["invoice", invoice.id, "pdf", invoice.pdf_available, invoice.version],
    enabled: invoice.pdf_available,
    queryFn: async () => {
      const response = await authedFetch(`/api/invoices/${invoice.id}/pdf`, { headers: { Accept: "application/pdf" } });
      if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
      return response.blob();
    },
  });
  useEffect(() => {
    if (!pdf.data) return;
    const objectUrl = URL.createObjectURL(pdf.data);
    setUrl(objectUrl);
    return () => URL.revokeObjectURL(objectUrl);
  }, [pdf.data]);
  if (!invoice.pdf_available) return <Alert color="blue">{t("invoice.noPdf")}</Alert>;
  if (pdf.error) return <Alert color="red">{String(pdf.error)}</Alert>;
  if (!url) return <Loader />;
  return <Box component="iframe" title={t("invoice.pdf")} src={url} w="100%" h={900} style={{ border: "1px solid var(--mantine-color-gray-3)" }} />;
}
