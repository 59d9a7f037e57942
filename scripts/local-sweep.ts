/**
 * One command for a local sweep: starts the local server (experiments on `--runners K` processes,
 * default one per core), runs `bn-sweep run` against it with the other flags given (the book's
 * full sweep by default), and stops every process when the sweep ends or the command is interrupted.
 * Usage: npm run sweep:local [-- --runners 2 --seed 0 --epochs 5 …]
 */

import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describeServer, serverFlags, startForScript } from "./dev-server";
import { dismissReaper } from "./process-reaper";

const cli = fileURLToPath(new URL("../bin/bn-sweep.js", import.meta.url));
// The server's flags (--runners, --port, --ip, --persist-to, --var) start the server; the rest are bn-sweep run's.
const { runners, port, ip = "127.0.0.1", persistTo, vars, rest } = serverFlags(process.argv.slice(2));
console.error(`starting the local server on ${runners} runner process${runners === 1 ? "" : "es"} …`);
const server = await startForScript({ persistent: true, runners, port, ip, persistTo, vars });
console.error(describeServer(server.url, runners, ip, server.memory()));
console.error("the dashboard shows this sweep while it runs");
const child = spawn(process.execPath, [cli, "run", "--url", server.url, ...rest], { stdio: "inherit" });
const code = await Promise.race([
  new Promise<number>((resolve) => child.on("exit", (c) => resolve(c ?? 1))),
  server.exited.then((gone) => {
    console.error(`${gone.name} exited: the sweep cannot go on`);
    child.kill("SIGTERM");
    return 1;
  }),
]);
await server.stop();
await dismissReaper();
process.exit(code);
