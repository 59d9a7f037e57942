import { defineConfig } from "vitest/config";

/** Browser tests: wrangler dev + headless Chromium (npm run test:e2e). */
export default defineConfig({
  test: {
    name: "e2e",
    include: ["test/e2e/**/*.test.ts"],
    environment: "node",
    testTimeout: 240_000,
    hookTimeout: 120_000,
  },
});
