/**
 * `npm run prepare-assets` (after install, before test, deploy and the local scripts, which call
 * {@link prepareAssets} in their own process): MNIST chunks in public/data/ and the dashboard's
 * bundle, each skipped when up to date (a few ms then).
 */

import { fileURLToPath } from "node:url";
import { stop } from "esbuild";
import { buildDashboard } from "./build-dashboard";
import { prepareData } from "./prepare-data";

export async function prepareAssets(): Promise<void> {
  prepareData();
  await buildDashboard();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await prepareAssets();
  await stop();
}
