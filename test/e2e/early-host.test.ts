/**
 * The local server's host started before the script loads (scripts/local/early-host.mjs): taken
 * only while the build is the one it runs, ended otherwise, and ending by itself when its stdin
 * does or its start line is not one.
 */

import type { ChildProcess } from "node:child_process";
import { statSync, utimesSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { buildLocal } from "../../scripts/local/build";
import { startHostEarly, takeEarlyHost } from "../../scripts/local/early-host.mjs";
import { localLayout, ROOT } from "../../scripts/local-runners";

let host: string;

beforeAll(async () => {
  const layout = await localLayout({ runners: 1, ip: "127.0.0.1", port: 8787, persistTo: ROOT, open: true });
  host = (await buildLocal(ROOT, layout.entry, layout.define)).host;
});

/** The host started early and not taken, as early-host.mjs keeps it. */
function pending(): ChildProcess {
  const early = (globalThis as Record<symbol, { child: ChildProcess } | undefined>)[Symbol.for("bn-sweep.earlyHost")];
  if (!early) throw new Error("no host was started early");
  return early.child;
}

/** How `child` ended: its exit code, or the signal that ended it. */
function ending(child: ChildProcess): Promise<number | NodeJS.Signals> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve(child.exitCode ?? (child.signalCode as NodeJS.Signals));
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve(code ?? (signal as NodeJS.Signals))));
}

describe("a host started early", () => {
  it("is taken while the built host is the file it started, and ends with exit 0 when its stdin ends", async () => {
    startHostEarly();
    const started = pending();
    const taken = takeEarlyHost(host);
    expect(taken?.pid).toBe(started.pid);
    taken?.stdin.end();
    expect(await ending(started)).toBe(0);
  });

  it("is ended, not taken, once the build changed the file (another modification time)", async () => {
    startHostEarly();
    const started = pending();
    const later = new Date(statSync(host).mtimeMs + 1000);
    utimesSync(host, later, later);
    expect(takeEarlyHost(host)).toBeUndefined();
    expect(await ending(started)).toBe("SIGKILL");
  });

  it("is ended, not taken, when another file is asked for", async () => {
    startHostEarly();
    const started = pending();
    expect(takeEarlyHost(`${host}.other`)).toBeUndefined();
    expect(await ending(started)).toBe("SIGKILL");
  });

  it.each([
    ["that does not name its layout, Worker and dev registry", () => JSON.stringify({ layout: "", worker: host })],
    ["that is not JSON", () => "layout.json worker.js"],
  ])("refuses a start line %s: exit 1, saying so", async (_, line) => {
    startHostEarly();
    const taken = takeEarlyHost(host) as ChildProcess;
    let output = "";
    taken.stderr?.on("data", (d: Buffer) => {
      output += d;
    });
    taken.stdin?.write(`${line()}\n`);
    expect(await ending(taken)).toBe(1);
    expect(output).toContain("[host] its start line must name the layout, the Worker and the dev registry");
  });
});
