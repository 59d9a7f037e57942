/**
 * `npm start [-- --runners K --port … --ip … --persist-to …]`: the local server, its experiments on
 * K processes (default: one per core; 1 is a single `wrangler dev`). On the loopback the server is
 * open (no token needed) and says so; bound elsewhere it keeps the committed configuration's
 * refusal of mutations without SWEEP_TOKEN.
 */

import { spawn } from "node:child_process";
import {
  describeServer,
  healthy,
  isLoopback,
  LOCAL_VARS,
  localUrl,
  OPEN_ON_LOOPBACK,
  parseRunners,
  startForScript,
  takeFlag,
  treeRssMb,
} from "./dev-server";
import { MAIN_WORKER } from "./local-runners";
import { dismissReaper, reapSharedGroupWithThisProcess } from "./process-reaper";

const { values: runnerFlags, rest: args } = takeFlag(process.argv.slice(2), "--runners");
const runners = parseRunners(runnerFlags.at(-1));

/** wrangler dev in the foreground as before (its keys work), every flag passed through. */
async function startSingle(): Promise<void> {
  const ip = takeFlag(args, "--ip").values.at(-1) ?? "localhost";
  const port = takeFlag(args, "--port").values.at(-1) ?? "8787";
  const loopback = isLoopback(ip);
  const child = spawn("npx", ["wrangler", "dev", ...LOCAL_VARS, ...(loopback ? OPEN_ON_LOOPBACK : []), ...args], {
    stdio: "inherit",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  if (child.pid !== undefined) reapSharedGroupWithThisProcess(child.pid);
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
  // In order: the reaper is told, so that it leaves the group (and whatever launched npm start) alone.
  child.on("exit", (code) => void dismissReaper().then(() => process.exit(code ?? 1)));
  const url = localUrl(ip, port);
  for (let tries = 0; tries < 480; tries++) {
    if (await healthy(url)) {
      const memory = [{ name: MAIN_WORKER, pid: child.pid ?? 0, rssMb: treeRssMb(child.pid ?? 0) }];
      console.error(describeServer(url, 1, ip, memory));
      return;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Each line of a process's output, prefixed by its worker name, as its chunks arrive. */
function prefixed(): (name: string, text: string) => void {
  const partial = new Map<string, string>();
  return (name, text) => {
    const lines = ((partial.get(name) ?? "") + text).split("\n");
    partial.set(name, lines.pop() ?? "");
    for (const line of lines) process.stderr.write(`[${name}] ${line}\n`);
  };
}

/** `NAME:VALUE`, as `wrangler dev --var` takes it. */
function splitVar(flag: string): [string, string] {
  const at = flag.indexOf(":");
  if (at < 1) throw new Error(`--var takes NAME:VALUE, not ${flag}`);
  return [flag.slice(0, at), flag.slice(at + 1)];
}

/**
 * The main process takes --port, --ip and the other flags; --persist-to (the runners' state in
 * subfolders of it) and every --var apply to all processes.
 */
async function startMany(): Promise<void> {
  const port = takeFlag(args, "--port");
  const ip = takeFlag(port.rest, "--ip");
  const persist = takeFlag(ip.rest, "--persist-to");
  const vars = takeFlag(persist.rest, "--var");
  const address = ip.values.at(-1) ?? "127.0.0.1";
  const server = await startForScript({
    runners,
    port: Number(port.values.at(-1) ?? 8787),
    ip: address,
    persistent: true,
    persistTo: persist.values.at(-1),
    vars: Object.fromEntries(vars.values.map(splitVar)),
    args: vars.rest,
    onOutput: prefixed(),
  });
  console.error(describeServer(server.url, runners, address, server.memory()));
  const gone = await server.exited;
  console.error(`bn-sweep: ${gone.name} exited; stopping the other processes`);
  await server.stop();
  await dismissReaper();
  process.exit(1);
}

await (runners === 1 ? startSingle() : startMany());
