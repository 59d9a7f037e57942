/**
 * The local server's workerds, one Miniflare instance each, hosted by this one Node process (a
 * `wrangler dev` per process cost ~400 MB and seconds each): `node host.mjs`, built by
 * scripts/local/build.ts and started by scripts/local/spawn.ts, which then writes its start on
 * stdin (one JSON line: the layout file, the Worker, the dev registry). Loads miniflare first, so
 * that a host started before its script has laid the server out (early-host.mjs) is ready when
 * told. Starts every instance on the dev registry (as wrangler dev does), prefixes each workerd's
 * output with its worker name, and disposes of them all on SIGTERM, SIGINT or SIGHUP, or when stdin
 * ends (the script that started it is gone). Started detached, in its own process group: the
 * reaper ends the group (workerds included) if the script that started it dies.
 */

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import type * as MiniflareModule from "miniflare";
import type { LayoutProcess, LocalRunnersLayout } from "../local-runners";
import type { HostStart } from "./spawn";

// Required, not imported: miniflare is CommonJS, and importing it makes Node scan its whole
// bundle for export names first (0.40 s against 0.17 s on Node 20).
const { Log, LogLevel, Miniflare } = createRequire(import.meta.url)("miniflare") as typeof MiniflareModule;

let ending = false;
let instances: MiniflareModule.Miniflare[] = [];
async function end(code: number): Promise<never> {
  if (!ending) {
    ending = true;
    await Promise.allSettled(instances.map((mf) => mf.dispose()));
  }
  process.exit(code);
}
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.once(signal, () => void end(0));
const stdin = createInterface(process.stdin);
stdin.on("close", () => void end(0));
/** The start line as JSON, or nothing when it is not JSON. */
function parsed(line: string): Partial<HostStart> {
  try {
    return JSON.parse(line) ?? {};
  } catch {
    return {};
  }
}
const start = (await new Promise<Partial<HostStart>>((resolve) =>
  stdin.once("line", (line) => resolve(parsed(line))),
)) as HostStart;
if (![start.layout, start.worker, start.registryPath].every((v) => typeof v === "string" && v !== "")) {
  process.stderr.write("[host] its start line must name the layout, the Worker and the dev registry\n");
  await end(1);
}
const layout = JSON.parse(readFileSync(start.layout, "utf8")) as LocalRunnersLayout;
// The Worker is one bundle (its only imports are workerd's built-ins): named as the one module,
// read once, Miniflare neither reads it per instance nor parses it for imports (0.19 s each).
const modules = [{ type: "ESModule" as const, path: start.worker, contents: readFileSync(start.worker, "utf8") }];
const { registryPath } = start;
// As wrangler dev has it, for whatever in miniflare reads the registry from the environment.
process.env.WRANGLER_REGISTRY_PATH = registryPath;

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

instances = [layout.main, ...layout.runners].map(instance);
try {
  await Promise.all(instances.map((mf) => mf.ready));
  // Starting reads every asset (55 MB of MNIST chunks per instance) into buffers it then drops.
  (globalThis as { gc?: () => void }).gc?.();
  process.stdout.write(`[host] ${instances.length} workerd ready\n`);
} catch (e) {
  process.stderr.write(`[host] could not start: ${(e as Error).message}\n`);
  await end(1);
}
