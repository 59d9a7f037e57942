/** The Worker's entry: the Hono app and the Durable Object classes wrangler binds. */

import { app } from "./app";

export type { AppType } from "./app";
export { ExperimentRunner } from "./experiment-runner";
export { Quota } from "./quota";
export { SweepCoordinator } from "./sweep-coordinator";

export default app;
