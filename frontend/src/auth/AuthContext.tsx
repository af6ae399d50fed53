import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../api/client";
import { clearTokens, readTokens, saveTokens, setSignedOutHandler } from "../api/session";
import type { Me, Role } from "../api/types";

type Auth = {
  me: Me | null;
  signedIn: boolean;
  signIn: (email: string, password: string) => Promise<void>;
  signOut: () => Promise<void>;
  expired: boolean;
};

const AuthContext = createContext<Auth | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [signedIn, setSignedIn] = useState(() => readTokens() !== null);
  const [expired, setExpired] = useState(false);

  const dropSession = useCallback((wasExpired: boolean) => {
    clearTokens();
    queryClient.clear();
    setExpired(wasExpired);
    setSignedIn(false);
  }, [queryClient]);

  useEffect(() => {
    setSignedOutHandler(() => dropSession(true));
    // another tab signed out (or in): follow it
    const onStorage = (event: StorageEvent) => {
      if (event.key !== "proxima.session") return;
      if (event.newValue === null) dropSession(false);
      else setSignedIn(true);
    };
    window.addEventListener("storage", onStorage);
    return () => window.removeEventListener("storage", onStorage);
  }, [dropSession]);

  const meQuery = useQuery({
    queryKey: ["me"],
    enabled: signedIn,
    staleTime: Infinity,
    queryFn: async () => unwrap(await api.GET("/api/auth/me")) as unknown as Me,
  });

  const signIn = useCallback(async (email: string, password: string) => {
    const result = await api.POST("/api/auth/login", { body: { email, password } });
    const pair = unwrap(result);
    saveTokens(pair);
    setExpired(false);
    setSignedIn(true);
  }, []);

  const signOut = useCallback(async () => {
    const tokens = readTokens();
    if (tokens) await api.POST("/api/auth/logout", { body: { refresh_token: tokens.refresh_token } }).catch(() => undefined);
    dropSession(false);
  }, [dropSession]);

  return (
    <AuthContext.Provider value={{ me: meQuery.data ?? null, signedIn, signIn, signOut, expired }}>
      {children}
    </AuthContext.Provider>
  );
}

export function useAuth(): Auth {
  const value = useContext(AuthContext);
  if (!value) throw new Error("useAuth outside AuthProvider");
  return value;
}

// What each role may do, mirrored from the API's rules so the UI offers only what would succeed.
// The server stays the authority: a refused action still shows its error.
const WRITERS: Role[] = ["accountant", "admin"];
const APPROVERS: Role[] = ["approver", "admin"];

export function canWrite(me: Me | null): boolean {
  return !!me && WRITERS.includes(me.role);
}

export function canDo(me: Me | null, action: string, finalizedBy?: string | null): boolean {
  if (!me) return false;
  if (action === "approve" || action === "reject") {
    // separation of duties: whoever finalized does not approve
    return APPROVERS.includes(me.role) && !(action === "approve" && finalizedBy && finalizedBy === me.id);
  }
  return WRITERS.includes(me.role);
}
