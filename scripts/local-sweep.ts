/**
 * One command for a local sweep: starts `wrangler dev`, runs `bn-sweep run` against it with the
 * flags given (the book's full sweep by default), and stops the server when the sweep ends.
 * Usage: npm run sweep:local [-- --seed 0 --epochs 5 …]
 */

import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startDevServer } from "./dev-server";

const cli = fileURLToPath(new URL("../bin/bn-sweep.js", import.meta.url));
console.error("starting wrangler dev …");
const server = await startDevServer({ persistent: true });
console.error(`server on ${server.url} (open on the loopback: no token needed); the dashboard shows this sweep while it runs`);
const code = await new Promise<number>((resolve) => {
  const child = spawn(process.execPath, [cli, "run", "--url", server.url, ...process.argv.slice(2)], { stdio: "inherit" });
  child.on("exit", (c) => resolve(c ?? 1));
});
await server.stop();
process.exit(code);
