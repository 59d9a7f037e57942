import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { LIVE_CLOSE, type LiveMessage, sweepLinks } from "../../src/sweep";
import type { SweepCoordinator } from "../../workers/sweep-coordinator";
import { api, coordinatorStub, getSweep, isFinal, startSweep, waitForSweep } from "./helpers";

/** Opens the live socket of a sweep and collects its messages and its close. */
async function connect(id: string): Promise<{
  socket: WebSocket;
  messages: LiveMessage[];
  closed: Promise<{ code: number; reason: string }>;
}> {
  const res = await api(`/api/sweeps/${id}/live`, { headers: { Upgrade: "websocket" } });
  expect(res.status).toBe(101);
  const socket = res.webSocket as WebSocket;
  const messages: LiveMessage[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.addEventListener("close", (ev) => resolve({ code: ev.code, reason: ev.reason })),
  );
  socket.addEventListener("message", (ev) => {
    messages.push(JSON.parse(ev.data as string) as LiveMessage);
  });
  socket.accept();
  return { socket, messages, closed };
}

const finalMessage = (messages: LiveMessage[]) => messages.find((m) => m.type === "final");

describe("live progress over a WebSocket", () => {
  it("sends the view on connect, one experiment per progress message, and the status, counts and links at the end", async () => {
    const id = await startSweep({ weightScales: [0.05, 0.02], epochs: 4, trainSize: 200, seed: 30 });
    const live = await connect(id);
    await live.closed;
    expect(live.messages[0].type).toBe("view");
    const progress = live.messages.filter((m) => m.type === "progress");
    expect(progress.length).toBeGreaterThanOrEqual(1);
    // A report costs what its experiment costs: one experiment, never the view.
    for (const m of progress) expect(Object.keys(m).sort()).toEqual(expect.arrayContaining(["status", "type"]));
    expect(progress.every((m) => !("view" in m))).toBe(true);
    expect(progress.some((m) => m.type === "progress" && (m.experiment?.epochsDone ?? 0) > 0)).toBe(true);
    expect(finalMessage(live.messages)).toEqual({
      type: "final",
      status: "completed",
      counts: { queued: 0, running: 0, paused: 0, completed: 2, failed: 0, cancelled: 0 },
      links: sweepLinks(id),
    });
  });

  it("shows a viewer every experiment's start, not only its progress", async () => {
    const id = await startSweep({ weightScales: [0.05, 0.02, 0.01], epochs: 3, trainSize: 200, seed: 33 });
    const live = await connect(id);
    await live.closed;
    const started = new Set(
      live.messages.flatMap((m) => (m.type === "progress" && m.experiment?.status === "running" ? [m.experiment.index] : [])),
    );
    // The view on connect may already show some running; every other one is announced.
    const first = live.messages[0];
    const runningAtConnect =
      first.type === "view" ? first.view.experiments.filter((e) => e.status !== "queued").map((e) => e.index) : [];
    for (const index of [0, 1, 2]) expect(started.has(index) || runningAtConnect.includes(index)).toBe(true);
  });

  it("gives a second viewer the same end, and a viewer that leaves does not stop the sweep", async () => {
    const id = await startSweep({ weightScales: [0.05], epochs: 4, trainSize: 200, seed: 31 });
    const leaving = await connect(id);
    const staying = await connect(id);
    leaving.socket.close(1000, "bye");
    expect((await staying.closed).code).toBe(LIVE_CLOSE.ended);
    const done = await waitForSweep(id, isFinal);
    expect(done.status).toBe("completed");
    expect(finalMessage(staying.messages)).toMatchObject({ status: "completed" });
    const late = await connect(id);
    await late.closed;
    expect(late.messages.map((m) => m.type)).toEqual(["view", "final"]);
    const [view] = late.messages;
    expect(view.type === "view" && view.view).toEqual(await getSweep(id));
  });

  it("answers 426 without an upgrade and 404 for an unknown sweep", async () => {
    const id = await startSweep({ weightScales: [0.05], epochs: 1, trainSize: 100, seed: 32 });
    expect((await api(`/api/sweeps/${id}/live`)).status).toBe(426);
    expect((await api(`/api/sweeps/${"e".repeat(32)}/live`, { headers: { Upgrade: "websocket" } })).status).toBe(404);
  });
});

describe("viewers are bounded", () => {
  it("refuses the viewer past MAX_VIEWERS_PER_SWEEP (3 here) with close code 1013 and the reason", async () => {
    const id = await startSweep({ weightScales: [0.05], epochs: 200, trainSize: 200, seed: 34 });
    const viewers = [await connect(id), await connect(id), await connect(id)];
    const extra = await connect(id);
    expect(await extra.closed).toEqual({
      code: LIVE_CLOSE.tooManyViewers,
      reason: "this sweep has 3 viewers, the most it takes (MAX_VIEWERS_PER_SWEEP); try again later",
    });
    expect(extra.messages).toEqual([]);
    for (const v of viewers) v.socket.close(1000, "done");
    await api(`/api/sweeps/${id}`, { method: "DELETE" });
  });

  it("closes a viewer that sends anything (viewers only receive)", async () => {
    const id = await startSweep({ weightScales: [0.05], epochs: 200, trainSize: 200, seed: 35 });
    const viewer = await connect(id);
    viewer.socket.send("x".repeat(1024));
    expect(await viewer.closed).toEqual({ code: LIVE_CLOSE.viewerSpoke, reason: "viewers only receive" });
    await api(`/api/sweeps/${id}`, { method: "DELETE" });
  });

  it("takes an abnormal close (1006) without throwing", async () => {
    const id = await startSweep({ weightScales: [0.05], epochs: 1, trainSize: 100, seed: 36 });
    await waitForSweep(id, isFinal);
    await runInDurableObject(coordinatorStub(id), async (instance: SweepCoordinator) => {
      const [, server] = Object.values(new WebSocketPair());
      server.accept();
      await expect(instance.webSocketClose(server, 1006)).resolves.toBeUndefined();
      await expect(instance.webSocketClose(server, 1005)).resolves.toBeUndefined();
    });
  });
});
