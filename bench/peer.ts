/**
 * A timing peer kept running beside the bench (numpy, or our engine inside workerd): it reads one
 * scale index per line and answers one JSON line each, so that the bench can interleave the
 * runtimes' runs and a slow spell of the machine (a shared VM drifts by 10% within minutes) falls
 * on all of them alike. The first line it prints describes it.
 */

import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { reapWithThisProcess } from "../scripts/process-reaper";

export interface Peer<Hello, Answer> {
  hello: Hello;
  ask(index: number): Promise<Answer>;
  close(): void;
}

/** Starts `command args…`; rejects with the end of its error output if it exits before its first line. */
export async function startPeer<Hello, Answer>(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<Peer<Hello, Answer>> {
  const child = spawn(command, args, { env, stdio: ["pipe", "pipe", "pipe"], detached: true });
  if (child.pid !== undefined) reapWithThisProcess(child.pid);
  let errors = "";
  child.stderr.on("data", (d: Buffer) => {
    errors = (errors + d).slice(-2000);
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<unknown> => {
    const line = await lines.next();
    if (line.done) throw new Error(`${command} ended: ${errors.trim().split("\n").at(-1) ?? "no output"}`);
    return JSON.parse(line.value);
  };
  const close = () => {
    child.stdin.end();
    if (child.pid !== undefined) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        // Gone already.
      }
    }
  };
  try {
    const hello = (await next()) as Hello;
    return {
      hello,
      ask: async (index) => {
        child.stdin.write(`${index}\n`);
        return (await next()) as Answer;
      },
      close,
    };
  } catch (e) {
    close();
    throw e;
  }
}
