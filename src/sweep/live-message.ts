/**
 * What a live viewer of a sweep receives over `GET /api/sweeps/:id/live`, and how a client keeps
 * its view up to date with it. Each message costs the coordinator what one experiment costs, not
 * what the sweep does: the whole view only on connect, and at the end the status and counts, after
 * which the client fetches the final view once.
 */

import { type ExperimentStatus, type ExperimentView, type SweepStatus, type SweepView, sweepLinks } from "./view";

/** Experiments per status. */
export type StatusCounts = Record<ExperimentStatus, number>;

/** A live message: the view on connect, one experiment's change, the end. */
export type LiveMessage =
  | { type: "view"; view: SweepView }
  | { type: "progress"; status: SweepStatus; experiment?: ExperimentView }
  | { type: "final"; status: SweepStatus; counts: StatusCounts; links: ReturnType<typeof sweepLinks> };

/** The close codes a viewer may see, with why. */
export const LIVE_CLOSE = {
  /** The sweep ended (after the final message). */
  ended: 1000,
  /** The viewer sent a message: viewers only receive. */
  viewerSpoke: 1003,
  /** The sweep has as many viewers as it takes (MAX_VIEWERS_PER_SWEEP). */
  tooManyViewers: 1013,
} as const;

/** The view after a progress message (a final message needs the view fetched: it carries none). */
export function applyProgress(view: SweepView, message: Extract<LiveMessage, { type: "progress" }>): SweepView {
  const { experiment } = message;
  const experiments = experiment
    ? view.experiments.map((e) => (e.index === experiment.index ? experiment : e))
    : view.experiments;
  return { ...view, status: message.status, experiments };
}

/** The live socket's URL for a sweep on `base` (http → ws), with its ticket when the server gave one. */
export function liveUrl(base: string, id: string, ticket?: string | null): string {
  const url = new URL(sweepLinks(id).live, base);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  if (ticket) url.searchParams.set("ticket", ticket);
  return url.toString();
}
