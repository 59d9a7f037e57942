/**
 * The local server's workerds, one Miniflare instance each, hosted by this one Node process (a
 * `wrangler dev` per process cost ~400 MB and seconds each): `node host.mjs <layout.json>
 * <worker.js>`, both built by scripts/local/build.ts and the layout written by
 * scripts/dev-server.ts. Starts every instance on the dev registry in WRANGLER_REGISTRY_PATH (as
 * wrangler dev does), prefixes each workerd's output with its worker name, and disposes of them all
 * on SIGTERM, SIGINT or SIGHUP. Started detached, in its own process group: the reaper ends the
 * group (workerds included) if the script that started it dies.
 */

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import type * as MiniflareModule from "miniflare";
import type { LayoutProcess, LocalRunnersLayout } from "../local-runners";

// Required, not imported: miniflare is CommonJS, and importing it makes Node scan its whole
// bundle for export names first (0.40 s against 0.17 s on Node 20).
const { Log, LogLevel, Miniflare } = createRequire(import.meta.url)("miniflare") as typeof MiniflareModule;

const layout = JSON.parse(readFileSync(process.argv[2], "utf8")) as LocalRunnersLayout;
const scriptPath = process.argv[3];
// The Worker is one bundle (its only imports are workerd's built-ins): named as the one module,
// read once, Miniflare neither reads it per instance nor parses it for imports (0.19 s each).
const modules = [{ type: "ESModule" as const, path: scriptPath, contents: readFileSync(scriptPath, "utf8") }];
const registryPath = process.env.WRANGLER_REGISTRY_PATH;
if (!registryPath) throw new Error("host: WRANGLER_REGISTRY_PATH must name the dev registry");

/** Each workerd's lines prefixed with its worker name; a workerd whose output ends (it died) ends the host. */
function prefixed(name: string) {
  return (stdout: Readable, stderr: Readable) => {
    createInterface(stdout)
      .on("line", (line) => process.stdout.write(`[${name}] ${line}\n`))
      .on("close", () => {
        // Miniflare does not watch its workerd after the start: the script that started the host does.
        if (!ending) {
          process.stderr.write(`[host] the workerd of ${name} ended; stopping the others\n`);
          void end(1);
        }
      });
    createInterface(stderr).on("line", (line) => process.stderr.write(`[${name}] ${line}\n`));
  };
}

function instance(p: LayoutProcess): MiniflareModule.Miniflare {
  return new Miniflare({
    name: p.name,
    host: p.host,
    port: p.port,
    modules,
    compatibilityDate: p.compatibilityDate,
    compatibilityFlags: p.compatibilityFlags,
    bindings: p.bindings,
    durableObjects: p.durableObjects,
    kvNamespaces: p.kvNamespaces,
    ratelimits: p.ratelimits,
    assets: p.assets,
    defaultPersistRoot: p.persistRoot,
    unsafeDevRegistryPath: registryPath,
    // Request.cf as Miniflare's fallback, which is what it gives offline anyway, without trying to fetch it.
    cf: false,
    handleRuntimeStdio: prefixed(p.name),
    log: new Log(LogLevel.WARN),
  });
}

let ending = false;
const instances = [layout.main, ...layout.runners].map(instance);
async function end(code: number): Promise<never> {
  if (!ending) {
    ending = true;
    await Promise.allSettled(instances.map((mf) => mf.dispose()));
  }
  process.exit(code);
}
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.once(signal, () => void end(0));
try {
  await Promise.all(instances.map((mf) => mf.ready));
  // Starting reads every asset (55 MB of MNIST chunks per instance) into buffers it then drops.
  (globalThis as { gc?: () => void }).gc?.();
  process.stdout.write(`[host] ${instances.length} workerd ready\n`);
} catch (e) {
  process.stderr.write(`[host] could not start: ${(e as Error).message}\n`);
  await end(1);
}
