/**
 * wrangler.toml as wrangler itself reads it (its TOML parser and defaults), paths made absolute,
 * kept in .wrangler/bn-sweep/config.json beside the SHA-256 of the file it came from: reading it
 * through wrangler takes about a second (a child process imports wrangler, which also installs
 * SIGINT and SIGTERM handlers that exit at once), and a local start should not wait for that
 * unless wrangler.toml changed.
 */

import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";

/** The part of wrangler.toml a local server needs. */
export interface BaseConfig {
  main: string;
  compatibility_date: string;
  compatibility_flags: string[];
  define: Record<string, string>;
  assets: { directory: string; binding?: string; run_worker_first?: boolean | string[] };
  durable_objects: { bindings: { name: string; class_name: string }[] };
  migrations: { new_sqlite_classes?: string[] }[];
  kv_namespaces: { binding: string; id?: string }[];
  ratelimits: { name: string; simple: { limit: number; period: number } }[];
  vars: Record<string, string>;
}

/** The config of the checkout at `root`, from the cache when wrangler.toml has not changed. */
export async function readBaseConfig(root: string): Promise<BaseConfig> {
  // The checkout's own path is hashed too: the cache holds absolute paths, and a copied checkout must not use them.
  const hash = createHash("sha256")
    .update(root)
    .update("\0")
    .update(readFileSync(join(root, "wrangler.toml")))
    .digest("hex");
  const cache = join(root, ".wrangler", "bn-sweep", "config.json");
  try {
    const kept = JSON.parse(readFileSync(cache, "utf8")) as { hash: string; config: BaseConfig };
    if (kept.hash === hash) return kept.config;
  } catch {
    // No cache yet, or a damaged one: read through wrangler and write it again.
  }
  const config = await readThroughWrangler(root);
  mkdirSync(dirname(cache), { recursive: true });
  // Renamed into place: a server starting at the same moment reads the old file or the new one, never half of one.
  const temporary = `${cache}.${process.pid}`;
  writeFileSync(temporary, `${JSON.stringify({ hash, config }, null, 2)}\n`);
  renameSync(temporary, cache);
  return config;
}

async function readThroughWrangler(root: string): Promise<BaseConfig> {
  const read = `import { unstable_readConfig } from "wrangler";
    process.stdout.write(JSON.stringify(unstable_readConfig({ config: "wrangler.toml" })));`;
  const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", read], {
    cwd: root,
    maxBuffer: 16 << 20,
  });
  const config = JSON.parse(stdout) as Partial<BaseConfig>;
  if (!config.main || !config.assets?.directory || !config.compatibility_date || !config.durable_objects) {
    throw new Error("wrangler.toml lacks main, assets.directory, compatibility_date or durable_objects");
  }
  return {
    main: resolve(root, config.main),
    compatibility_date: config.compatibility_date,
    compatibility_flags: config.compatibility_flags ?? [],
    define: config.define ?? {},
    assets: { ...config.assets, directory: resolve(root, config.assets.directory) },
    durable_objects: config.durable_objects,
    migrations: config.migrations ?? [],
    kv_namespaces: config.kv_namespaces ?? [],
    ratelimits: config.ratelimits ?? [],
    vars: Object.fromEntries(Object.entries(config.vars ?? {}).map(([k, v]) => [k, String(v)])),
  };
}
