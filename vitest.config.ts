import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "engine",
          include: ["test/engine/**/*.test.ts"],
          environment: "node",
          testTimeout: 300_000,
        },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            // Small slices and short watchdog timings, so that faults show within a test.
            miniflare: {
              bindings: {
                SLICE_WORK: "2e8",
                MAX_PARALLEL_RUNNERS: "2",
                ALLOW_OPEN_SERVER: "true",
                WATCHDOG_STALL_MS: "300",
                WATCHDOG_INTERVAL_MS: "150",
                MAX_SLICE_FAILURES: "3",
                RETRY_BASE_MS: "10",
                MAX_VIEWERS_PER_SWEEP: "3",
              },
            },
          }),
        ],
        test: {
          name: "workers",
          include: ["test/workers/**/*.test.ts"],
          testTimeout: 120_000,
        },
      },
    ],
  },
});
