/** Types of `env` and `exports` from "cloudflare:workers" inside the tests. */

import type { Env as WorkerEnv } from "../../workers/env";

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {}
    interface GlobalProps {
      mainModule: typeof import("../../workers/index");
      durableNamespaces: "SweepCoordinator" | "ExperimentRunner";
    }
  }
}
