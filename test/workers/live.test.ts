import { describe, expect, it } from "vitest";
import type { SweepView } from "../../src/sweep/view";
import type { LiveMessage } from "../../workers/sweep-coordinator";
import { api, isFinal, startSweep, waitForSweep } from "./helpers";

/** Opens the live socket of a sweep and collects its messages. */
async function connect(id: string): Promise<{ socket: WebSocket; messages: LiveMessage[]; closed: Promise<void> }> {
  const res = await api(`/api/sweeps/${id}/live`, { headers: { Upgrade: "websocket" } });
  expect(res.status).toBe(101);
  const socket = res.webSocket as WebSocket;
  const messages: LiveMessage[] = [];
  const closed = new Promise<void>((resolve) => socket.addEventListener("close", () => resolve()));
  socket.addEventListener("message", (ev) => {
    messages.push(JSON.parse(ev.data as string) as LiveMessage);
  });
  socket.accept();
  return { socket, messages, closed };
}

const finalView = (messages: LiveMessage[]): SweepView | undefined =>
  messages.flatMap((m) => (m.type === "final" ? [m.view] : []))[0];

describe("live progress over a WebSocket", () => {
  it("sends the view on connect, progress as epochs come in, and the final view at the end", async () => {
    const id = await startSweep({ weightScales: [0.05, 0.02], epochs: 4, trainSize: 200, seed: 30 });
    const live = await connect(id);
    await live.closed;
    expect(live.messages[0].type).toBe("view");
    const progress = live.messages.filter((m) => m.type === "progress");
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress.some((m) => m.type === "progress" && (m.experiment?.epochsDone ?? 0) > 0)).toBe(true);
    const final = finalView(live.messages);
    expect(final?.status).toBe("completed");
    expect(final?.experiments.map((e) => e.epochsDone)).toEqual([4, 4]);
  });

  it("gives a second viewer the same final view, and a viewer that leaves does not stop the sweep", async () => {
    const id = await startSweep({ weightScales: [0.05], epochs: 4, trainSize: 200, seed: 31 });
    const leaving = await connect(id);
    const staying = await connect(id);
    leaving.socket.close(1000, "bye");
    await staying.closed;
    const done = await waitForSweep(id, isFinal);
    expect(done.status).toBe("completed");
    expect(finalView(staying.messages)).toEqual(done);
    const late = await connect(id);
    await late.closed;
    expect(late.messages.map((m) => m.type)).toEqual(["view", "final"]);
    expect(finalView(late.messages)).toEqual(done);
  });

  it("answers 426 without an upgrade and 404 for an unknown sweep", async () => {
    const id = await startSweep({ weightScales: [0.05], epochs: 1, trainSize: 100, seed: 32 });
    expect((await api(`/api/sweeps/${id}/live`)).status).toBe(426);
    expect((await api(`/api/sweeps/${"e".repeat(32)}/live`, { headers: { Upgrade: "websocket" } })).status).toBe(404);
  });
});
