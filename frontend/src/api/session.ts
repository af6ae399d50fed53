// Tokens live in localStorage so every tab of the console shares one session; a refresh (which rotates
// the refresh token) runs under a Web Lock so two tabs never spend the same refresh token twice.
export type Tokens = { access_token: string; refresh_token: string; expires_at: number };

const KEY = "proxima.session";

export function readTokens(): Tokens | null {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Tokens) : null;
  } catch {
    return null;
  }
}

export function saveTokens(pair: { access_token: string; refresh_token: string; expires_in: number }): Tokens {
  const tokens = { access_token: pair.access_token, refresh_token: pair.refresh_token,
    expires_at: Date.now() + pair.expires_in * 1000 };
  localStorage.setItem(KEY, JSON.stringify(tokens));
  return tokens;
}

export function clearTokens(): void {
  localStorage.removeItem(KEY);
}

/** Called when the session cannot be renewed (refresh refused): the app shows the sign-in page. */
let onSignedOut: () => void = () => {};
export function setSignedOutHandler(handler: () => void): void {
  onSignedOut = handler;
}

async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  if (typeof navigator !== "undefined" && navigator.locks) {
    return navigator.locks.request("proxima.refresh", fn);
  }
  return fn();
}

/** A fresh access token: a new one from /auth/refresh unless another tab already renewed `stale`. */
export async function refreshAccess(stale: string | null): Promise<string | null> {
  return withLock(async () => {
    const current = readTokens();
    if (!current) return null;
    if (current.access_token !== stale && current.expires_at - Date.now() > 30_000) return current.access_token;
    const response = await fetch("/api/auth/refresh", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ refresh_token: current.refresh_token }),
    });
    if (!response.ok) {
      clearTokens();
      onSignedOut();
      return null;
    }
    return saveTokens(await response.json()).access_token;
  });
}

/** The access token to send now: renewed silently a minute before it expires. */
export async function currentAccess(): Promise<string | null> {
  const tokens = readTokens();
  if (!tokens) return null;
  if (tokens.expires_at - Date.now() < 60_000) return refreshAccess(tokens.access_token);
  return tokens.access_token;
}
