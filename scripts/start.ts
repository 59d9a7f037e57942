/**
 * `npm start`: wrangler dev for local use, flags passed through (`--port`, `--ip`, `--persist-to`, …).
 * On the loopback the server is open (no token needed) and says so; bound elsewhere it keeps the
 * committed configuration's refusal of mutations without SWEEP_TOKEN.
 */

import { spawn } from "node:child_process";
import { LOCAL_VARS, OPEN_ON_LOOPBACK } from "./dev-server";

const args = process.argv.slice(2);
const ipAt = args.indexOf("--ip");
const ip = ipAt >= 0 ? args[ipAt + 1] : (args.find((a) => a.startsWith("--ip="))?.slice(5) ?? "localhost");
const loopback = ip === "localhost" || ip.startsWith("127.") || ip === "::1" || ip === "[::1]";
if (loopback) {
  console.error("bn-sweep: open server on the loopback: starting, cancelling and retrying need no token here.");
} else {
  console.error(`bn-sweep: listening on ${ip}: mutations need SWEEP_TOKEN (set it in .dev.vars), as when deployed.`);
}
const child = spawn("npx", ["wrangler", "dev", ...LOCAL_VARS, ...(loopback ? OPEN_ON_LOOPBACK : []), ...args], {
  stdio: "inherit",
  env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
child.on("exit", (code) => process.exit(code ?? 1));
