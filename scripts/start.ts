/**
 * `npm start [-- --runners K --port … --ip … --persist-to … --var NAME:VALUE …]`: the local
 * server, its experiments on K workerd processes (default: one per core; 1 is the main process
 * itself). On the loopback the server is open (no token needed) and says so; bound elsewhere every
 * API route needs SWEEP_TOKEN, as when deployed.
 */

import { describeServer, serverFlags, startForScript } from "./dev-server";
import { prepareAssets } from "./prepare-assets";
import { dismissReaper } from "./process-reaper";

const flags = serverFlags(process.argv.slice(2));
if (flags.rest.length > 0) {
  console.error(
    `npm start: unknown argument ${flags.rest[0]}; it takes --runners K, --port P, --ip A, --persist-to DIR, --var NAME:VALUE`,
  );
  process.exit(2);
}
const ip = flags.ip ?? "127.0.0.1";
await prepareAssets();
const server = await startForScript({
  runners: flags.runners,
  port: flags.port ?? 8787,
  ip,
  persistent: true,
  persistTo: flags.persistTo,
  vars: flags.vars,
  // The host prefixes each workerd's lines with its worker name.
  onOutput: (_name, text) => process.stderr.write(text),
});
console.error(describeServer(server.url, flags.runners, ip, server.memory()));
const gone = await server.exited;
console.error(`bn-sweep: ${gone.name} exited; stopping the other processes`);
await server.stop();
await dismissReaper();
process.exit(1);
