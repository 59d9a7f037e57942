/** The API client: Hono's typed client over the Worker's own route types, so the two cannot drift. */

import { hc } from "hono/client";
import type { AppType } from "../workers/app";

/** A typed client for a bn-sweep server at `baseUrl`. */
export function sweepClient(baseUrl: string, token?: string) {
  return hc<AppType>(baseUrl, token ? { headers: { Authorization: `Bearer ${token}` } } : {});
}

/** The client's type. */
export type SweepClient = ReturnType<typeof sweepClient>;
