/**
 * bn-sweep: start a sweep against a server (local by default), watch it, save its results.
 *   bn-sweep run [--epochs 5 --seed 0 …] [--url U] [--out results]
 *   bn-sweep status <id> | list | cancel <id> | purge <id>
 */

import { runCli } from "./commands";

process.exit(await runCli(process.argv.slice(2)));
