/**
 * bn-sweep's commands: start a sweep against a server (local by default), watch it, save its
 * results; status, list, cancel, purge. cli/main.ts runs them from the command line,
 * scripts/local-sweep.ts in its own process.
 */

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  applyProgress,
  FIELD_NAMES,
  isBatchNormStudy,
  isFinalSweep,
  type LiveMessage,
  liveUrl,
  SweepConfigError,
  type SweepRequest,
  type SweepView,
} from "../src/sweep";
import { UsageError } from "./args";
import { type SweepClient, sweepClient } from "./client";
import { fieldOptions, fieldUsage, requestFromFlags } from "./field-flags";
import { ProgressView, progressLines } from "./progress";
import { printable, sweepIdOrUndefined } from "./server-text";

const USAGE = `usage: bn-sweep <command> [flags]
  run      start a sweep, show its progress, save results/<id>/{results.json,results.csv,plot.svg}
           --out DIR (default results), --dry-run (print the estimate, start nothing),
           --scale-range FROM,TO,COUNT (powers of ten, instead of --scales), and the fields:
${fieldUsage(FIELD_NAMES)}
  status <id>   show a sweep's progress        list   list sweeps, newest first
  cancel <id>   cancel a running sweep         purge <id>   delete a finished sweep everywhere (results too)
common: --url URL (default $BN_SWEEP_URL or http://localhost:8787), --token T (default $SWEEP_TOKEN)`;

/** A failure with its one-line reason and exit code. */
class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

const OPTIONS = {
  url: { type: "string" },
  token: { type: "string" },
  out: { type: "string" },
  "scale-range": { type: "string" },
  "dry-run": { type: "boolean" },
  help: { type: "boolean" },
  ...fieldOptions(FIELD_NAMES),
} as const;

/** What every typed client response has; `call` keeps the route's own response type. */
interface AnyResponse {
  ok: boolean;
  status: number;
  json(): Promise<unknown>;
}

async function call<R extends AnyResponse>(url: string, request: () => Promise<R>): Promise<R> {
  let res: R;
  try {
    res = await request();
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
    throw new CliError(`cannot reach ${url} (${cause}); start a server with npm start or pass --url`);
  }
  if (res.ok) return res;
  const body = (await (res as AnyResponse).json().catch(() => null)) as { error?: { message?: string } } | null;
  const reason = printable(body?.error?.message ?? `HTTP ${res.status}`);
  throw new CliError(`server answered ${res.status}: ${reason}`, res.status === 400 ? 2 : 1);
}

async function getView(client: SweepClient, url: string, id: string): Promise<SweepView> {
  const res = await call(url, () => client.api.sweeps[":id"].$get({ param: { id } }));
  return res.json();
}

/** A sweep id as the server's format has it: anything else (`../x`) never becomes part of a path. */
function checkedId(id: unknown): string {
  const checked = sweepIdOrUndefined(id);
  if (checked === undefined) {
    throw new CliError(`the server sent a sweep id that is not 32 hex digits: ${printable(JSON.stringify(id) ?? "none")}`);
  }
  return checked;
}

async function saveResults(client: SweepClient, url: string, view: SweepView, outDir: string): Promise<string> {
  const dir = join(outDir, checkedId(view.id));
  mkdirSync(dir, { recursive: true });
  const csv = await call(url, () => client.api.sweeps[":id"]["results.csv"].$get({ param: { id: view.id } }));
  const svg = await call(url, () => client.api.sweeps[":id"]["plot.svg"].$get({ param: { id: view.id } }));
  writeFileSync(join(dir, "results.json"), `${JSON.stringify(view, null, 2)}\n`);
  writeFileSync(join(dir, "results.csv"), await csv.text());
  writeFileSync(join(dir, "plot.svg"), await svg.text());
  // The summary (final accuracy per weight scale) is the Batch Norm study's alone.
  if (isBatchNormStudy(view)) {
    const summary = await call(url, () => client.api.sweeps[":id"]["summary.svg"].$get({ param: { id: view.id } }));
    writeFileSync(join(dir, "summary.svg"), await summary.text());
  }
  return dir;
}

/**
 * Shows a sweep's progress until it is final: over its live WebSocket where the runtime has one
 * (Node 22 and later), else, or when the socket fails, by polling every second.
 */
async function follow(client: SweepClient, url: string, id: string, progress: ProgressView): Promise<SweepView> {
  let view = await getView(client, url, id);
  if (typeof WebSocket === "function" && !isFinalSweep(view.status)) {
    const live = await followLive(client, url, id, view, (v) => progress.update(v)).catch(() => undefined);
    if (live) view = live;
  }
  while (!isFinalSweep(view.status)) {
    progress.update(view);
    await new Promise((r) => setTimeout(r, 1000));
    view = await getView(client, url, id);
  }
  progress.update(view);
  return view;
}

/** Follows the live socket (with a ticket where the server needs one); resolves once it says the sweep ended. */
async function followLive(
  client: SweepClient,
  url: string,
  id: string,
  start: SweepView,
  show: (v: SweepView) => void,
): Promise<SweepView> {
  const { ticket } = await (await call(url, () => client.api.sweeps[":id"].ticket.$get({ param: { id } }))).json();
  const ended = await new Promise<boolean>((resolve, reject) => {
    let view = start;
    const socket = new WebSocket(liveUrl(url, id, ticket));
    socket.addEventListener("message", (ev) => {
      const message = JSON.parse(String(ev.data)) as LiveMessage;
      if (message.type === "final") return resolve(true);
      view = message.type === "view" ? message.view : applyProgress(view, message);
      show(view);
    });
    socket.addEventListener("close", () => reject(new Error("live socket closed before the sweep ended")));
    socket.addEventListener("error", () => reject(new Error("live socket failed")));
  });
  // The final message carries the status only: the final view is fetched once.
  if (!ended) throw new Error("live socket ended early");
  return getView(client, url, id);
}

async function run(client: SweepClient, url: string, flags: Record<string, string | boolean | undefined>): Promise<number> {
  // The server checks every rule; the flags only become numbers, words and lists.
  const request: SweepRequest = requestFromFlags(flags);
  if (flags["dry-run"]) {
    const res = await call(url, () => client.api.sweeps.$post({ json: request, query: { dryRun: "1" } }));
    console.log(JSON.stringify(await res.json(), null, 2));
    return 0;
  }
  const res = await call(url, () => client.api.sweeps.$post({ json: request, query: {} }));
  const started = (await res.json()) as { id?: unknown };
  const id = checkedId(started.id);
  const progress = new ProgressView(process.stdout);
  if (!process.stdout.isTTY) console.log(`started sweep ${id}`);
  const view = await follow(client, url, id, progress);
  const dir = await saveResults(client, url, view, typeof flags.out === "string" ? flags.out : "results");
  const figures = isBatchNormStudy(view) ? ", plot.svg and summary.svg" : " and plot.svg";
  console.log(`sweep ${id} ${view.status}; saved ${join(dir, "results.json")}, results.csv${figures}`);
  if (view.status === "completed") return 0;
  const failed = view.experiments.filter((e) => e.status === "failed");
  throw new CliError(
    `sweep ${view.status}: ${failed.length} experiment(s) failed${failed[0]?.error ? `, first: ${printable(failed[0].error)}` : ""}`,
  );
}

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message.split("\n")[0]);
  }
  const { values: flags, positionals } = parsed;
  const [command, id] = positionals;
  if (flags.help || command === undefined) {
    console.log(USAGE);
    return command === undefined && !flags.help ? 2 : 0;
  }
  const url = flags.url ?? process.env.BN_SWEEP_URL ?? "http://localhost:8787";
  const client = sweepClient(url, flags.token ?? process.env.SWEEP_TOKEN);
  const needId = () => {
    if (!id) throw new UsageError(`${command} needs a sweep id`);
    return id;
  };
  switch (command) {
    case "run":
      return run(client, url, flags);
    case "status":
      console.log(progressLines(await getView(client, url, needId())).join("\n"));
      return 0;
    case "list": {
      const res = await call(url, () => client.api.sweeps.$get());
      const { sweeps } = await res.json();
      for (const s of sweeps)
        console.log(printable(`${s.id}  ${s.status.padEnd(9)}  ${s.createdAt}  ${s.experiments} experiments`));
      if (sweeps.length === 0) console.log("no sweeps yet");
      return 0;
    }
    case "cancel": {
      const res = await call(url, () => client.api.sweeps[":id"].$delete({ param: { id: needId() }, query: {} }));
      const body = await res.json();
      console.log(printable(`sweep ${id} ${"status" in body ? body.status : "purged"}`));
      return 0;
    }
    case "purge": {
      await call(url, () => client.api.sweeps[":id"].$delete({ param: { id: needId() }, query: { purge: "1" } }));
      console.log(`sweep ${id} purged: its coordinator, runners, results and list entry are deleted`);
      return 0;
    }
    default:
      throw new UsageError(`unknown command "${command}"; commands are run, status, list, cancel, purge`);
  }
}

/** Runs one command line (without the program's name); resolves with its exit code, errors printed. */
export async function runCli(argv: string[]): Promise<number> {
  try {
    return await main(argv);
  } catch (e) {
    if (e instanceof UsageError || e instanceof CliError || e instanceof SweepConfigError) {
      console.error(`bn-sweep: ${e.message}`);
      return e instanceof CliError ? e.exitCode : 2;
    }
    console.error(e);
    return 1;
  }
}
