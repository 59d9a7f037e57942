/**
 * A timing peer for `npm run bench` (bench/peer.ts): runs default experiments inside workerd, one
 * per scale index read from stdin, each answered as one JSON line. Its own process: in Node 20,
 * talking to workerd detaches array buffers, after which V8 checks every typed-array access for it
 * (measured 44% slower), which would slow the Node measurements of the bench itself.
 */

import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { loadMnist } from "../../scripts/load-mnist";
import { startWorkerdRunner } from "./run-in-workerd";

const { values } = parseArgs({ options: { seed: { type: "string", default: "0" } } });
const runner = await startWorkerdRunner(loadMnist(), Number(values.seed));
console.log(JSON.stringify({ workerd: true }));
for await (const line of createInterface({ input: process.stdin })) console.log(JSON.stringify(await runner.run(Number(line))));
await runner.dispose();
