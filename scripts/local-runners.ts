/** The local-only layout on K processes: one coordinator process and K runner processes, as generated wrangler configs. */

import { execFile } from "node:child_process";
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

// Generated per run and never committed: workerd runs every Durable Object of a process on one
// event loop, so locally experiments only run in parallel on several `wrangler dev` processes,
// joined through the dev registry by Durable Object bindings with `script_name`. A deployed Worker
// with such bindings would look for separately deployed Workers of those names, so wrangler.toml,
// and what `wrangler deploy` ships, stays a single ordinary Worker running both classes.

/** The checkout: wrangler.toml, workers/ and public/ are found from here. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** The worker name of the process that serves the API and runs the coordinators (as in wrangler.toml). */
export const MAIN_WORKER = "bn-sweep";

/** The worker name of runner process `i`: stable, since each process keeps its objects' state under its name. */
export function runnerWorker(i: number): string {
  return `${MAIN_WORKER}-runner-${i}`;
}

/** One process of the layout: its worker name and the config file `wrangler dev -c` takes. */
export interface LayoutProcess {
  name: string;
  config: string;
}

/** Options of {@link writeLocalRunners}. */
export interface LocalRunnersOptions {
  /** Processes that run experiments: 1 is the main process itself, K > 1 are K runner processes. */
  runners: number;
  /** Where to write the configs (a per-run temporary directory). */
  dir: string;
  /** Open the main process's mutations without a token: only when it listens on the loopback. */
  open: boolean;
  /** Variables set on every process, over wrangler.toml's (tuning for a test, `--var` flags). */
  vars?: Record<string, string>;
}

/** The layout: the main process first, then the runners. */
export interface LocalRunnersLayout {
  main: LayoutProcess;
  runners: LayoutProcess[];
}

/** The part of wrangler.toml the generated configs repeat. */
interface BaseConfig {
  main: string;
  compatibility_date: string;
  define: Record<string, string>;
  limits: unknown;
  assets: { directory: string; binding?: string; run_worker_first?: unknown };
  durable_objects: { bindings: { name: string; class_name: string }[] };
  migrations: unknown[];
  kv_namespaces: unknown[];
  ratelimits: unknown[];
  vars: Record<string, unknown>;
}

/**
 * wrangler.toml as wrangler itself reads it (its TOML parser and defaults), paths made absolute.
 * Read by a child process: importing wrangler takes seconds of blocking and installs SIGINT and
 * SIGTERM handlers that exit at once, before the processes started so far are stopped.
 */
async function readBaseConfig(): Promise<BaseConfig> {
  const read = `import { unstable_readConfig } from "wrangler";
    process.stdout.write(JSON.stringify(unstable_readConfig({ config: "wrangler.toml" })));`;
  const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", read], {
    cwd: ROOT,
    maxBuffer: 16 << 20,
  });
  const config = JSON.parse(stdout) as Partial<BaseConfig>;
  if (!config.main || !config.assets?.directory || !config.compatibility_date || !config.durable_objects) {
    throw new Error("wrangler.toml lacks main, assets.directory, compatibility_date or durable_objects");
  }
  return {
    main: resolve(ROOT, config.main),
    compatibility_date: config.compatibility_date,
    define: config.define ?? {},
    limits: config.limits,
    assets: { ...config.assets, directory: resolve(ROOT, config.assets.directory) },
    durable_objects: config.durable_objects,
    migrations: config.migrations ?? [],
    kv_namespaces: config.kv_namespaces ?? [],
    ratelimits: config.ratelimits ?? [],
    vars: config.vars ?? {},
  };
}

function bindingOf(base: BaseConfig, name: string): { name: string; class_name: string } {
  const binding = base.durable_objects.bindings.find((b) => b.name === name);
  if (!binding) throw new Error(`wrangler.toml has no Durable Object binding ${name}`);
  return binding;
}

function writeConfig(dir: string, name: string, config: object): LayoutProcess {
  // One folder per process: wrangler reads .dev.vars and keeps its build output next to the config.
  const folder = join(dir, name);
  mkdirSync(folder, { recursive: true });
  const path = join(folder, "wrangler.json");
  writeFileSync(path, `${JSON.stringify({ name, ...config }, null, 2)}\n`);
  return { name, config: path };
}

/**
 * Writes the configs of the main process and K runner processes into `dir`. Every process runs
 * the same workers/index.ts (which exports both classes, so the migrations stay as committed):
 * - main: wrangler.toml's bindings plus RUNNERS_0 … RUNNERS_{K−1}, each the runner class of one
 *   runner process; RUNNER_SHARDS = MAX_PARALLEL_RUNNERS = K, so it runs no experiment itself and
 *   answers requests while K run.
 * - runner i: its own RUNNERS, SWEEPS on the main process (runners report to their coordinator),
 *   ASSETS (runners read MNIST from the static assets); no RESULTS, which only coordinators use.
 */
export async function writeLocalRunners({ runners, dir, open, vars = {} }: LocalRunnersOptions): Promise<LocalRunnersLayout> {
  const base = await readBaseConfig();
  const common = {
    main: base.main,
    compatibility_date: base.compatibility_date,
    define: base.define,
    limits: base.limits,
    assets: base.assets,
    migrations: base.migrations,
  };
  const sweeps = bindingOf(base, "SWEEPS");
  const local = bindingOf(base, "RUNNERS");
  // One process runs its experiments itself; K > 1 hand them to K runner processes.
  const names = runners > 1 ? Array.from({ length: runners }, (_, i) => runnerWorker(i)) : [];
  const main = writeConfig(dir, MAIN_WORKER, {
    ...common,
    durable_objects: {
      bindings: [
        ...base.durable_objects.bindings,
        ...names.map((script_name, i) => ({ name: `RUNNERS_${i}`, class_name: local.class_name, script_name })),
      ],
    },
    kv_namespaces: base.kv_namespaces,
    ratelimits: base.ratelimits,
    vars: {
      ...base.vars,
      RUNNER_SHARDS: String(runners),
      MAX_PARALLEL_RUNNERS: String(runners),
      ...(open ? { ALLOW_OPEN_SERVER: "true" } : {}),
      ...vars,
      WORKER_NAME: MAIN_WORKER,
    },
  });
  // SWEEP_TOKEN of a server bound beyond the loopback comes from the checkout's .dev.vars.
  const devVars = join(ROOT, ".dev.vars");
  if (existsSync(devVars)) symlinkSync(devVars, join(dirname(main.config), ".dev.vars"));
  const runnerProcesses = names.map((name) =>
    writeConfig(dir, name, {
      ...common,
      durable_objects: { bindings: [{ ...sweeps, script_name: MAIN_WORKER }, local] },
      vars: { ...base.vars, ...vars, WORKER_NAME: name },
    }),
  );
  return { main, runners: runnerProcesses };
}
