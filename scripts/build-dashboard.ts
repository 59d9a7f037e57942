/** Bundles dashboard/main.ts into public/dashboard.js (an ES module for the browser, no CDN). */

import { build } from "esbuild";

await build({
  entryPoints: [new URL("../dashboard/main.ts", import.meta.url).pathname],
  outfile: new URL("../public/dashboard.js", import.meta.url).pathname,
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: true,
  sourcemap: true,
  logLevel: "warning",
});
