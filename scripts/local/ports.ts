/** Addresses of a local server: free ports, the loopback, the URL this machine reaches it at, its health. */

import { createServer } from "node:net";

/** A port free on the loopback now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** Whether `ip` only listens on this machine (the server may then be open). */
export function isLoopback(ip: string): boolean {
  return ip === "localhost" || ip.startsWith("127.") || ip === "::1" || ip === "[::1]";
}

/** Where this machine reaches a server listening on `ip` (every address: the loopback). */
export function localUrl(ip: string, port: number | string): string {
  if (ip === "0.0.0.0" || ip === "::" || ip === "[::]") return `http://127.0.0.1:${port}`;
  return `http://${ip.includes(":") && !ip.startsWith("[") ? `[${ip}]` : ip}:${port}`;
}

/** Whether the server at `url` answers /healthz. */
export async function healthy(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/healthz`)).ok;
  } catch {
    return false;
  }
}
