import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { upToDate, writeStamp } from "../../scripts/build-stamp";

describe("a build's stamp", () => {
  let root: string;
  let stamp: string;
  let output: string;
  const inputs = ["src/a.ts", "src/b.ts"];
  const configs = ["tsconfig.json"];
  const options = { define: { X: "1" } };
  /** A minute before the test: every file's time at the start. */
  let past: number;
  /** Sets a path's modification time to `ms` (since the epoch). */
  const touch = (path: string, ms: number) => utimesSync(join(root, path), new Date(ms), new Date(ms));
  const stampNow = (started = Date.now()) => writeStamp(stamp, root, { inputs, configs, outputs: [output], options, started });

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "build-stamp-"));
    stamp = join(root, "stamp.json");
    output = join(root, "out.js");
    mkdirSync(join(root, "src"));
    for (const name of [...inputs, ...configs]) writeFileSync(join(root, name), name);
    past = Date.now() - 60_000;
    for (const name of [...inputs, ...configs, "src"]) touch(name, past);
    writeFileSync(output, "built");
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("says up to date only after a stamp of the same inputs, options and outputs", () => {
    expect(upToDate(stamp, root, [output], options)).toBe(false);
    stampNow();
    expect(upToDate(stamp, root, [output], options)).toBe(true);
  });

  it("says stale when an input or a configuring file changed", () => {
    stampNow();
    touch("src/b.ts", past + 1);
    expect(upToDate(stamp, root, [output], options)).toBe(false);
    touch("src/b.ts", past);
    expect(upToDate(stamp, root, [output], options)).toBe(true);
    touch("tsconfig.json", past + 1);
    expect(upToDate(stamp, root, [output], options)).toBe(false);
  });

  it("says stale when a file is added beside an input (it may now be what an import resolves to)", () => {
    stampNow();
    writeFileSync(join(root, "src/a.tsx"), "shadow");
    expect(upToDate(stamp, root, [output], options)).toBe(false);
  });

  it("says stale when an input is gone, an output is missing or not the one built, or the options differ", () => {
    stampNow();
    expect(upToDate(stamp, root, [output], { define: { X: "2" } })).toBe(false);
    expect(upToDate(stamp, root, [output, join(root, "host.mjs")], options)).toBe(false);
    writeFileSync(output, "another build's output");
    expect(upToDate(stamp, root, [output], options)).toBe(false);
    writeFileSync(output, "built");
    expect(upToDate(stamp, root, [output], options)).toBe(true);
    rmSync(join(root, "src/a.ts"));
    expect(upToDate(stamp, root, [output], options)).toBe(false);
  });

  it("writes no stamp when an input changed during the build or just before it", () => {
    const started = Date.now() - 10_000;
    writeFileSync(join(root, "src/a.ts"), "edited during the build");
    stampNow(started);
    expect(upToDate(stamp, root, [output], options)).toBe(false);
    touch("src/a.ts", past);
    touch("src", past);
    // One second before the start: on a filesystem that keeps whole seconds, an edit after it can look so.
    touch("src/b.ts", Date.now() - 1000);
    stampNow();
    expect(upToDate(stamp, root, [output], options)).toBe(false);
  });

  it("builds again over a damaged stamp", () => {
    writeFileSync(stamp, "{ not json");
    expect(upToDate(stamp, root, [output], options)).toBe(false);
  });
});
