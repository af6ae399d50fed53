/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// `npm run dev` proxies the API of `make run`; the built app is served by the API server itself (same origin).
export default defineConfig({
  plugins: [react()],
  server: { proxy: { "/api": "http://127.0.0.1:8000" } },
  build: { sourcemap: false, chunkSizeWarningLimit: 600 },
  test: { environment: "jsdom", setupFiles: ["src/test-setup.ts"] },
});
