/**
 * Starting the local server's host (scripts/local/host.ts, built to .wrangler/bn-sweep/host.mjs).
 * A script can start it before it has loaded: `node --import ./scripts/local/start-host-early.mjs
 * --import tsx script.ts` starts the last build's host first, so that Node's boot and miniflare's
 * require in the host (~0.5 s) overlap tsx's and the script's own; scripts/local/spawn.ts takes it
 * if that build is still current. Plain JavaScript: it runs before tsx is loaded. The host waits on
 * its stdin for its start (host.ts) and ends if stdin ends first, as it does when this process dies.
 */

import { spawn } from "node:child_process";
import { statSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** Where scripts/local/build.ts writes the host. */
const BUILT_HOST = fileURLToPath(new URL("../../.wrangler/bn-sweep/host.mjs", import.meta.url));

/**
 * The host started early and not taken yet, with the identity of the file it runs. On the global
 * object under a registered symbol, not in this module: the `--import` loads this file before tsx,
 * and should a loader ever make tsx's import of it a second instance, the taker still finds it.
 */
const EARLY = Symbol.for("bn-sweep.earlyHost");

/** Starts `node host.mjs` in its own process group (a stop signals the group: its workerds too), its stdio piped. */
export function spawnHostProcess(file) {
  // gc() after the start drops the assets' buffers; a small young generation keeps it lean.
  const child = spawn(process.execPath, ["--expose-gc", "--max-semi-space-size=1", file], {
    cwd: ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    stdio: "pipe",
    detached: true,
  });
  // A host that died before its start is written to (EPIPE), or could not be spawned, is reported
  // by its exit or its missing pid, with its output.
  child.on("error", () => {});
  child.stdin.on("error", () => {});
  return child;
}

/** The child and its pipes: what keeps this process alive while the host runs (unless unref'd). */
function handles(child) {
  return [child, child.stdin, child.stdout, child.stderr];
}

/** Starts the host of the last build, if there is one; it keeps this process alive only once taken. */
export function startHostEarly() {
  let stat;
  try {
    stat = statSync(BUILT_HOST);
  } catch {
    return;
  }
  const child = spawnHostProcess(BUILT_HOST);
  for (const handle of handles(child)) handle.unref();
  globalThis[EARLY] = { child, ino: stat.ino, mtimeMs: stat.mtimeMs };
}

/** The host started early, if it runs `file` as it is now and lives; else undefined, having ended it. */
export function takeEarlyHost(file) {
  const taken = globalThis[EARLY];
  globalThis[EARLY] = undefined;
  if (!taken) return undefined;
  const { child } = taken;
  let current = false;
  try {
    const stat = statSync(file);
    current = file === BUILT_HOST && stat.ino === taken.ino && stat.mtimeMs === taken.mtimeMs;
  } catch {}
  if (current && child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
    for (const handle of handles(child)) handle.ref();
    return child;
  }
  // It has started nothing yet: it only waited for its start.
  child.kill("SIGKILL");
  return undefined;
}
