import createClient, { type Middleware } from "openapi-fetch";
import type { paths } from "./schema";
import { currentAccess, refreshAccess } from "./session";

/** The API error body: {"error": {"code", "message", "details"}}. */
export class ApiError extends Error {
  constructor(public status: number, public code: string, message: string, public details: Record<string, unknown> = {}) {
    super(message);
  }
}

const retried = new WeakSet<Request>();
const bodies = new WeakMap<Request, ArrayBuffer | null>();

const auth: Middleware = {
  async onRequest({ request }) {
    const token = await currentAccess();
    if (token) request.headers.set("Authorization", `Bearer ${token}`);
    // keep the body so a request refused for an expired token can be sent again once
    bodies.set(request, request.body ? await request.clone().arrayBuffer() : null);
    return request;
  },
  async onResponse({ request, response }) {
    if (response.status !== 401 || retried.has(request) || /\/api\/auth\/(login|refresh|logout)$/.test(new URL(request.url).pathname)) return response;
    const stale = request.headers.get("Authorization")?.slice(7) ?? null;
    const token = await refreshAccess(stale);
    if (!token) return response;
    const again = new Request(request.url, { method: request.method, headers: request.headers, body: bodies.get(request) ?? undefined });
    again.headers.set("Authorization", `Bearer ${token}`);
    retried.add(again);
    return fetch(again);
  },
};

export const api = createClient<paths>({ baseUrl: "" });
api.use(auth);

/** Throws ApiError for a non-2xx answer, returns the data otherwise. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.response.ok) return result.data as T;
  const body = (result.error ?? {}) as { error?: { code?: string; message?: string; details?: Record<string, unknown> } };
  throw new ApiError(result.response.status, body.error?.code ?? "http_" + result.response.status,
    body.error?.message ?? result.response.statusText, body.error?.details ?? {});
}

/** A raw authenticated fetch (PDF, HTML preview, export) with the same silent refresh. */
export async function authedFetch(url: string, init: RequestInit = {}): Promise<Response> {
  const send = (token: string | null) => fetch(url, { ...init, headers: { ...(init.headers ?? {}), ...(token ? { Authorization: `Bearer ${token}` } : {}) } });
  const token = await currentAccess();
  const response = await send(token);
  if (response.status !== 401) return response;
  const renewed = await refreshAccess(token);
  return renewed ? send(renewed) : response;
}
