/** What a script prints once the local server is up. */

import { ONE_SLICE_DEPTH } from "../../src/sweep/coordinator-ports";
import { IN_FLIGHT_PER_RUNNER, MAIN_WORKER } from "../local-runners";
import { isLoopback } from "./ports";
import type { ServerProcess } from "./spawn";

/** K, each process with its memory now, and who may mutate. */
export function describeServer(url: string, runners: number, ip: string, memory: (ServerProcess & { rssMb: number })[]): string {
  const layout =
    runners === 1
      ? "1 workerd runs the API and every experiment, one at a time"
      : `${runners} runner workerds run ${IN_FLIGHT_PER_RUNNER} experiments each at a time (${ONE_SLICE_DEPTH * IN_FLIGHT_PER_RUNNER} that end within one slice each); ${MAIN_WORKER}'s own workerd serves the API and the coordinators`;
  const access = isLoopback(ip)
    ? "open on the loopback: starting, cancelling and retrying need no token"
    : `listening on ${ip}: every API route needs SWEEP_TOKEN (set it in .dev.vars), as when deployed`;
  const total = memory.reduce((sum, p) => sum + p.rssMb, 0);
  const lines = [...memory.map((p) => `  ${p.name} (pid ${p.pid}): ${p.rssMb} MB resident`), `  in all: ${total} MB`];
  return [`bn-sweep on ${url}: ${layout}`, ...lines, `bn-sweep: ${access}`].join("\n");
}
