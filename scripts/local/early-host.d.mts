import type { ChildProcessWithoutNullStreams } from "node:child_process";

export declare function spawnHostProcess(file: string): ChildProcessWithoutNullStreams;
export declare function startHostEarly(): void;
export declare function takeEarlyHost(file: string): ChildProcessWithoutNullStreams | undefined;
