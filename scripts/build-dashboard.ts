/**
 * Bundles dashboard/main.ts into public/dashboard.js (an ES module for the browser, no CDN), unless
 * every file that went into the last bundle is unchanged (build-stamp.ts; the stamp is
 * .wrangler/bn-sweep/dashboard-stamp.json).
 */

import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { upToDate, writeStamp } from "./build-stamp";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const OUT = resolve(ROOT, "public/dashboard.js");
const STAMP = resolve(ROOT, ".wrangler/bn-sweep/dashboard-stamp.json");

/** Writes public/dashboard.js unless it is up to date. */
export async function buildDashboard(): Promise<void> {
  if (upToDate(STAMP, ROOT, [OUT], null)) return;
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
  writeStamp(STAMP, ROOT, Object.keys(result.metafile.inputs), null, started);
}
