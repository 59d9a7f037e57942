/** The CPU as `lscpu` names it, with its family and model (Zen 3, 4 and 5 share one model name). */

import { execFileSync } from "node:child_process";

export function cpuModel(): string {
  try {
    const fields = new Map(
      execFileSync("lscpu", { encoding: "utf8", env: { ...process.env, LC_ALL: "C" } })
        .split("\n")
        .map((line) => line.split(/:\s+/, 2) as [string, string]),
    );
    return `${fields.get("Model name") ?? "unknown"} (vendor ${fields.get("Vendor ID")}, family ${fields.get("CPU family")}, model ${fields.get("Model")})`;
  } catch {
    return "unknown (lscpu did not run)";
  }
}
