/** Starts `wrangler dev` on a free port, for a browser test or a one-shot local sweep. */

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * One experiment at a time: workerd runs every Durable Object on one thread, and slices of many
 * runners back to back leave HTTP requests waiting for minutes.
 */
export const LOCAL_VARS = ["--var", "MAX_PARALLEL_RUNNERS:1"];
/** Local runs on the loopback need no token: the committed configuration refuses mutations without one. */
export const OPEN_ON_LOOPBACK = ["--var", "ALLOW_OPEN_SERVER:true"];

/** A running local server and how to stop it. */
export interface DevServer {
  url: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** Options of {@link startDevServer}. */
export interface DevServerOptions {
  /** Keep state in wrangler's usual folder (.wrangler/state) instead of a fresh temporary one. */
  persistent?: boolean;
  timeoutMs?: number;
}

/** Starts the server and resolves once /healthz answers (or rejects after `timeoutMs`). */
export async function startDevServer({ persistent = false, timeoutMs = 90_000 }: DevServerOptions = {}): Promise<DevServer> {
  const port = await freePort();
  const state = persistent ? undefined : mkdtempSync(join(tmpdir(), "bn-sweep-"));
  let log = "";
  const child: ChildProcess = spawn(
    "npx",
    [
      "wrangler",
      "dev",
      "--port",
      String(port),
      "--ip",
      "127.0.0.1",
      "--inspector-port",
      "0",
      ...LOCAL_VARS,
      ...OPEN_ON_LOOPBACK,
      ...(state ? ["--persist-to", state] : []),
    ],
    { env: { ...process.env, WRANGLER_SEND_METRICS: "false" }, stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  child.stdout?.on("data", (d) => (log += d));
  child.stderr?.on("data", (d) => (log += d));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.pid) process.kill(-child.pid, "SIGTERM");
    await new Promise((r) => setTimeout(r, 300));
    if (state) rmSync(state, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      if ((await fetch(`${url}/healthz`)).ok) return { url, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop();
  throw new Error(`wrangler dev did not come up on ${url}:\n${log.slice(-2000)}`);
}
