/**
 * `npm start [-- --runners K --port … --ip … --persist-to … --var NAME:VALUE …]`: the local
 * server, its experiments on K processes (default: one per core; 1 is the main process itself).
 * Other flags go to the main `wrangler dev`. On the loopback the server is open (no token needed)
 * and says so; bound elsewhere every API route needs SWEEP_TOKEN, as when deployed.
 */

import { describeServer, serverFlags, startForScript } from "./dev-server";
import { dismissReaper } from "./process-reaper";

/** Each line of a process's output, prefixed by its worker name, as its chunks arrive. */
function prefixed(): (name: string, text: string) => void {
  const partial = new Map<string, string>();
  return (name, text) => {
    const lines = ((partial.get(name) ?? "") + text).split("\n");
    partial.set(name, lines.pop() ?? "");
    for (const line of lines) process.stderr.write(`[${name}] ${line}\n`);
  };
}

const flags = serverFlags(process.argv.slice(2));
const ip = flags.ip ?? "127.0.0.1";
const server = await startForScript({
  runners: flags.runners,
  port: flags.port ?? 8787,
  ip,
  persistent: true,
  persistTo: flags.persistTo,
  vars: flags.vars,
  args: flags.rest,
  onOutput: prefixed(),
});
console.error(describeServer(server.url, flags.runners, ip, server.memory()));
const gone = await server.exited;
console.error(`bn-sweep: ${gone.name} exited; stopping the other processes`);
await server.stop();
await dismissReaper();
process.exit(1);
