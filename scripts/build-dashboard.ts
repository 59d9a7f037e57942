/**
 * Bundles dashboard/main.ts into public/dashboard.js (an ES module for the browser, no CDN), unless
 * every file that went into the last bundle is unchanged (build-stamp.ts; the stamp is
 * .wrangler/bn-sweep/dashboard-stamp.json).
 */

import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build, version } from "esbuild";
import { upToDate, writeStamp } from "./build-stamp";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const OUT = resolve(ROOT, "public/dashboard.js");
const STAMP = resolve(ROOT, ".wrangler/bn-sweep/dashboard-stamp.json");
/** What shapes the bundle besides its inputs. */
const CONFIGS = ["scripts/build-dashboard.ts", "tsconfig.json", "dashboard/tsconfig.json", "package.json"];

/** Writes public/dashboard.js unless it is up to date. */
export async function buildDashboard(): Promise<void> {
  if (upToDate(STAMP, ROOT, [OUT], { esbuild: version })) return;
  const started = Date.now();
  const result = await build({
    entryPoints: [resolve(ROOT, "dashboard/main.ts")],
    outfile: OUT,
    absWorkingDir: ROOT,
    bundle: true,
    format: "esm",
    target: "es2022",
    minify: true,
    sourcemap: true,
    metafile: true,
    logLevel: "warning",
  });
  writeStamp(STAMP, ROOT, {
    inputs: Object.keys(result.metafile.inputs),
    configs: CONFIGS,
    outputs: [OUT],
    options: { esbuild: version },
    started,
  });
}
