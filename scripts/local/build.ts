/**
 * The two files a local server runs, built by esbuild into .wrangler/bn-sweep/ (inside the checkout,
 * so that the host finds miniflare in node_modules): the Worker (workers/index.ts with wrangler.toml's
 * `define`s, as wrangler would bundle it) and the host (scripts/local/host.ts as plain JavaScript:
 * node starts it without tsx, ~40 MB and ~0.2 s less). Each is written to a temporary name and
 * renamed, so that servers starting at once never read a half-written file; neither is built again
 * while every file that went into them and the defines are unchanged (../build-stamp.ts).
 */

import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build, stop, version } from "esbuild";
import { upToDate, writeStamp } from "../build-stamp";

/** Where the built Worker and host are. */
export interface LocalBuild {
  worker: string;
  host: string;
}

/** Writes `text` to `path` unless it holds it already: an unchanged host keeps its file (early-host.mjs takes it by identity). */
function writeAtomically(path: string, text: string): void {
  if (existsSync(path) && readFileSync(path, "utf8") === text) return;
  const temporary = `${path}.${process.pid}.${Date.now()}`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}

/** What shapes the bundles besides their inputs. */
const CONFIGS = ["scripts/local/build.ts", "tsconfig.json", "workers/tsconfig.json", "package.json"];

/** Builds under way in this process: esbuild's service is stopped only once none is. */
let building = 0;

export async function buildLocal(root: string, entry: string, define: Record<string, string>): Promise<LocalBuild> {
  const dir = join(root, ".wrangler", "bn-sweep");
  const paths = { worker: join(dir, "worker.js"), host: join(dir, "host.mjs") };
  const stamp = join(dir, "local-build-stamp.json");
  const options = { entry, define, esbuild: version };
  if (upToDate(stamp, root, [paths.worker, paths.host], options)) return paths;
  mkdirSync(dir, { recursive: true });
  const started = Date.now();
  building++;
  const [worker, host] = await Promise.all([
    build({
      entryPoints: [entry],
      bundle: true,
      format: "esm",
      platform: "neutral",
      conditions: ["workerd", "worker", "browser"],
      mainFields: ["module", "main"],
      external: ["cloudflare:*"],
      define,
      absWorkingDir: root,
      metafile: true,
      write: false,
      logLevel: "error",
    }),
    build({
      entryPoints: [join(root, "scripts", "local", "host.ts")],
      bundle: true,
      format: "esm",
      platform: "node",
      packages: "external",
      absWorkingDir: root,
      metafile: true,
      write: false,
      logLevel: "error",
    }),
  ]).finally(() => building--);
  // esbuild's service process would otherwise live as long as this one.
  if (building === 0) await stop();
  writeAtomically(paths.worker, worker.outputFiles[0].text);
  writeAtomically(paths.host, host.outputFiles[0].text);
  const inputs = [...Object.keys(worker.metafile.inputs), ...Object.keys(host.metafile.inputs)];
  writeStamp(stamp, root, { inputs, configs: CONFIGS, outputs: [paths.worker, paths.host], options, started });
  return paths;
}
