/**
 * Bundles dashboard/main.ts into public/dashboard.js (an ES module for the browser, no CDN), unless
 * every file that went into the last bundle is unchanged (their modification times are kept in
 * .wrangler/bn-sweep/dashboard-stamp.json, from esbuild's own list of its inputs).
 */

import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const OUT = resolve(ROOT, "public/dashboard.js");
const STAMP = resolve(ROOT, ".wrangler/bn-sweep/dashboard-stamp.json");

/** Each input's modification time, or -1 when it is gone. */
function mtimes(inputs: string[]): Record<string, number> {
  return Object.fromEntries(
    inputs.map((path) => [path, existsSync(resolve(ROOT, path)) ? statSync(resolve(ROOT, path)).mtimeMs : -1]),
  );
}

function upToDate(): boolean {
  if (!existsSync(OUT)) return false;
  try {
    const kept = JSON.parse(readFileSync(STAMP, "utf8")) as Record<string, number>;
    return Object.keys(kept).length > 0 && JSON.stringify(mtimes(Object.keys(kept))) === JSON.stringify(kept);
  } catch {
    // No stamp yet, or a damaged one: build.
    return false;
  }
}

/** Writes public/dashboard.js unless it is up to date. */
export async function buildDashboard(): Promise<void> {
  if (upToDate()) return;
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
  const inputs = mtimes(Object.keys(result.metafile.inputs));
  mkdirSync(dirname(STAMP), { recursive: true });
  // An input edited while it was being bundled leaves no stamp: the next start builds again.
  if (Object.values(inputs).every((mtime) => mtime >= 0 && mtime < started)) writeFileSync(STAMP, JSON.stringify(inputs));
  else rmSync(STAMP, { force: true });
}
