/**
 * The flags of `npm start` and `npm run sweep:local`, by node:util parseArgs: the server's own
 * (--runners, --port, --ip, --persist-to, --var NAME:VALUE) and the rest, passed on (to
 * `bn-sweep run` for the local sweep; npm start refuses them).
 */

import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";

/** Default number of processes that run experiments: one per core the machine gives this process. */
export const DEFAULT_RUNNERS = availableParallelism();

/** What the server flags say, and every other argument in order. */
export interface ServerFlags {
  runners: number;
  port?: number;
  ip?: string;
  persistTo?: string;
  vars: Record<string, string>;
  rest: string[];
}

const OPTIONS = {
  runners: { type: "string" },
  port: { type: "string" },
  ip: { type: "string" },
  "persist-to": { type: "string" },
  var: { type: "string", multiple: true },
} as const;

/** `NAME:VALUE`, as `wrangler dev --var` takes it. */
function splitVar(flag: string): [string, string] {
  const at = flag.indexOf(":");
  if (at < 1) throw new Error(`--var takes NAME:VALUE, not ${flag}`);
  return [flag.slice(0, at), flag.slice(at + 1)];
}

function positiveInteger(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag} must be a whole number ≥ 1, not ${text}`);
  return n;
}

/** Reads the server's flags out of `args`; the others are kept, in order, for the command behind. */
export function serverFlags(args: readonly string[]): ServerFlags {
  const { tokens } = parseArgs({ args: [...args], options: OPTIONS, strict: false, allowPositionals: true, tokens: true });
  const mine = new Set(Object.keys(OPTIONS));
  const values: Record<string, string[]> = {};
  const rest: string[] = [];
  for (const token of tokens) {
    if (token.kind === "option" && mine.has(token.name) && token.value !== undefined) {
      values[token.name] = [...(values[token.name] ?? []), token.value];
    } else if (token.kind === "option") {
      rest.push(token.rawName, ...(token.value !== undefined && !token.inlineValue ? [token.value] : []));
      if (token.inlineValue) rest[rest.length - 1] = `${token.rawName}=${token.value}`;
    } else if (token.kind === "positional") rest.push(token.value);
    else rest.push("--");
  }
  const last = (name: string) => values[name]?.at(-1);
  return {
    runners: positiveInteger("runners", last("runners")) ?? DEFAULT_RUNNERS,
    port: positiveInteger("port", last("port")),
    ip: last("ip"),
    persistTo: last("persist-to"),
    vars: Object.fromEntries((values.var ?? []).map(splitVar)),
    rest,
  };
}
