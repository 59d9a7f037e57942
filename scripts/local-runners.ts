/**
 * The local-only layout on K processes: one main workerd that serves the API and runs the
 * coordinators, and K runner workerds, each a Miniflare instance (scripts/local/host.ts hosts them
 * all). Built from wrangler.toml as wrangler dev would run it, with the bindings that join them.
 */

import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type BaseConfig, readBaseConfig } from "./local/base-config";

// workerd runs every Durable Object of a process on one event loop, so locally experiments only
// run in parallel on several workerd processes, joined through the dev registry by Durable Object
// bindings with a script name. A deployed Worker with such bindings would look for separately
// deployed Workers of those names, so wrangler.toml, and what `wrangler deploy` ships, stays a
// single ordinary Worker running both classes.

/** The checkout: wrangler.toml, workers/ and public/ are found from here. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** The worker name of the process that serves the API and runs the coordinators (as in wrangler.toml). */
export const MAIN_WORKER = "bn-sweep";

/** The worker name of runner process `i`: stable, since each process keeps its objects' state under its name. */
export function runnerWorker(i: number): string {
  return `${MAIN_WORKER}-runner-${i}`;
}

/**
 * Experiments in flight on each runner process: while one waits for its checkpoint to be written
 * or its report to be taken, another computes. Runners were busy 75% of the wall time with one,
 * 85–89% with two (two started together may end together, and the process then idles ~0.6 s
 * until the next come). Three removed those gaps, but not measurably from the sweep's time (22.1
 * against 22.5 s over three paired runs) and cost 15–30 MB per runner (docs/performance.md).
 */
export const IN_FLIGHT_PER_RUNNER = 2;

/** A Durable Object binding as Miniflare takes it. */
interface ObjectBinding {
  className: string;
  scriptName?: string;
  useSQLite: boolean;
}

/** One workerd of the layout, as Miniflare options (plain JSON: the host reads them from a file). */
export interface LayoutProcess {
  name: string;
  host: string;
  /** 0: any free port. */
  port: number;
  /** Where its Durable Objects, KV and cache keep their state (wrangler dev's `<persist-to>/v3`). */
  persistRoot: string;
  compatibilityDate: string;
  compatibilityFlags: string[];
  bindings: Record<string, string>;
  durableObjects: Record<string, ObjectBinding>;
  kvNamespaces: Record<string, string>;
  ratelimits: Record<string, { simple: { limit: number; period: number } }>;
  assets: {
    directory: string;
    binding?: string;
    routerConfig: {
      has_user_worker: true;
      invoke_user_worker_ahead_of_assets?: boolean;
      static_routing?: { user_worker: string[] };
    };
  };
}

/** The layout: the main process first, then the runners, with the build they all run. */
export interface LocalRunnersLayout {
  main: LayoutProcess;
  runners: LayoutProcess[];
  /** workers/index.ts, as wrangler.toml names it, and the `define`s its build takes. */
  entry: string;
  define: Record<string, string>;
}

/** Options of {@link localLayout}. */
export interface LocalRunnersOptions {
  /** Processes that run experiments: 1 is the main process itself, K > 1 are K runner processes. */
  runners: number;
  /** Address and port of the main process. */
  ip: string;
  port: number;
  /** The state directory: the main process keeps its state here, runner i under `bn-sweep-runner-i/`. */
  persistTo: string;
  /** Open the main process's mutations without a token: only when it listens on the loopback. */
  open: boolean;
  /** Variables set on every process, over wrangler.toml's (tuning for a test, `--var` flags). */
  vars?: Record<string, string>;
}

/**
 * .dev.vars as wrangler reads it (dotenv's rules: `export` allowed, a quoted value taken as it is,
 * an unquoted one up to a ` #` comment): SWEEP_TOKEN of a server bound beyond the loopback.
 */
export function parseDevVars(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(line);
    if (!match) continue;
    const raw = match[2].trim();
    const quoted = /^(["'`])(.*)\1/.exec(raw);
    vars[match[1]] = quoted ? quoted[2] : raw.replace(/\s+#.*$/, "").trim();
  }
  return vars;
}

function devVars(): Record<string, string> {
  const path = join(ROOT, ".dev.vars");
  return existsSync(path) ? parseDevVars(readFileSync(path, "utf8")) : {};
}

function objectBinding(base: BaseConfig, name: string, scriptName?: string): [string, ObjectBinding] {
  const binding = base.durable_objects.bindings.find((b) => b.name === name);
  if (!binding) throw new Error(`wrangler.toml has no Durable Object binding ${name}`);
  const sqlite = base.migrations.some((m) => m.new_sqlite_classes?.includes(binding.class_name));
  return [name, { className: binding.class_name, useSQLite: sqlite, ...(scriptName ? { scriptName } : {}) }];
}

/**
 * The main process and K runner processes. Every process runs the same workers/index.ts (which
 * exports every class):
 * - main: wrangler.toml's bindings plus RUNNERS_0 … RUNNERS_{K−1}, each the runner class of one
 *   runner process; RUNNER_SHARDS = K and MAX_PARALLEL_RUNNERS = 2K, so it runs no experiment
 *   itself and answers requests while each runner process has two in flight.
 * - runner i: its own RUNNERS, SWEEPS on the main process (runners report to their coordinator),
 *   ASSETS (runners read MNIST from the static assets); no RESULTS, which only coordinators use.
 */
export async function localLayout({
  runners,
  ip,
  port,
  persistTo,
  open,
  vars = {},
}: LocalRunnersOptions): Promise<LocalRunnersLayout> {
  const base = await readBaseConfig(ROOT);
  const firstRoutes = base.assets.run_worker_first;
  const assets = {
    directory: base.assets.directory,
    binding: base.assets.binding,
    routerConfig: {
      has_user_worker: true as const,
      ...(Array.isArray(firstRoutes) ? { static_routing: { user_worker: firstRoutes } } : {}),
      ...(typeof firstRoutes === "boolean" ? { invoke_user_worker_ahead_of_assets: firstRoutes } : {}),
    },
  };
  const common = {
    compatibilityDate: base.compatibility_date,
    compatibilityFlags: base.compatibility_flags,
    assets,
    ratelimits: {},
    kvNamespaces: {},
  };
  // One process runs its experiments itself; K > 1 hand them to K runner processes.
  const names = runners > 1 ? Array.from({ length: runners }, (_, i) => runnerWorker(i)) : [];
  const main: LayoutProcess = {
    ...common,
    name: MAIN_WORKER,
    host: ip,
    port,
    persistRoot: join(persistTo, "v3"),
    bindings: {
      ...base.vars,
      RUNNER_SHARDS: String(runners),
      MAX_PARALLEL_RUNNERS: String(runners === 1 ? 1 : IN_FLIGHT_PER_RUNNER * runners),
      ...(open ? { ALLOW_OPEN_SERVER: "true" } : {}),
      ...devVars(),
      ...vars,
      WORKER_NAME: MAIN_WORKER,
    },
    durableObjects: Object.fromEntries([
      ...base.durable_objects.bindings.map((b) => objectBinding(base, b.name)),
      ...names.map((name, i) => [`RUNNERS_${i}`, objectBinding(base, "RUNNERS", name)[1]] as const),
    ]),
    kvNamespaces: Object.fromEntries(base.kv_namespaces.map((kv) => [kv.binding, kv.id ?? kv.binding])),
    ratelimits: Object.fromEntries(base.ratelimits.map((r) => [r.name, { simple: r.simple }])),
  };
  // Each runner keeps its state in a folder of its own: every workerd opens the cache's SQLite
  // file under its persist folder as it starts, and two starting on one file at once failed with SQLITE_BUSY.
  const runnerProcesses = names.map(
    (name): LayoutProcess => ({
      ...common,
      name,
      host: "127.0.0.1",
      port: 0,
      persistRoot: join(persistTo, name, "v3"),
      bindings: { ...base.vars, ...vars, WORKER_NAME: name },
      durableObjects: Object.fromEntries([objectBinding(base, "SWEEPS", MAIN_WORKER), objectBinding(base, "RUNNERS")]),
    }),
  );
  return { main, runners: runnerProcesses, entry: base.main, define: base.define };
}
