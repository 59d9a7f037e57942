/**
 * One command for a local sweep: prepares the assets, starts the local server (experiments on
 * `--runners K` workerd processes, default one per core), runs `bn-sweep run` against it in this
 * process with the other flags given (the book's full sweep by default), and stops every process
 * when the sweep ends or the command is interrupted.
 * Usage: npm run sweep:local [-- --runners 2 --seed 0 --epochs 5 …]
 */

import { describeServer, serverFlags, startForScript } from "./dev-server";
import { prepareAssets } from "./prepare-assets";
import { dismissReaper } from "./process-reaper";

// The server's flags (--runners, --port, --ip, --persist-to, --var) start the server; the rest are bn-sweep run's.
const { runners, port, ip = "127.0.0.1", persistTo, vars, rest } = serverFlags(process.argv.slice(2));
await prepareAssets();
console.error(`starting the local server on ${runners} runner process${runners === 1 ? "" : "es"} …`);
// The client loads while the server starts (this process only waits for it meanwhile).
const cli = import("../cli/commands");
const server = await startForScript({ persistent: true, runners, port, ip, persistTo, vars });
console.error(describeServer(server.url, runners, ip, server.memory()));
console.error("the dashboard shows this sweep while it runs");
const code = await Promise.race([
  cli.then(({ runCli }) => runCli(["run", "--url", server.url, ...rest])),
  server.exited.then((gone) => {
    console.error(`${gone.name} exited: the sweep cannot go on`);
    return 1;
  }),
]);
await server.stop();
await dismissReaper();
process.exit(code);
