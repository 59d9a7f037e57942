import { defineConfig } from "vitest/config";

/** End-to-end tests against a local server: headless Chromium, runners on several processes (npm run test:e2e). */
export default defineConfig({
  test: {
    name: "e2e",
    include: ["test/e2e/**/*.test.ts"],
    environment: "node",
    // Each file starts its own server of K + 1 wrangler processes (one per core): one file at a time.
    fileParallelism: false,
    testTimeout: 240_000,
    hookTimeout: 120_000,
  },
});
