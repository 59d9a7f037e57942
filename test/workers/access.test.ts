import { describe, expect, it } from "vitest";
import { issueTicket, TICKET_TTL_MS, validTicket } from "../../workers/live-ticket";
import { apiWith, isFinal, rawApi, startSweep, waitForSweep } from "./helpers";

const TOKEN = "s3cret-token";
const AUTH = { Authorization: `Bearer ${TOKEN}` };
const PRIVATE = { SWEEP_TOKEN: TOKEN, PUBLIC_READ: undefined };
const PUBLIC = { SWEEP_TOKEN: TOKEN, PUBLIC_READ: "true" };

/** Every read route of the API for sweep `id` (the live socket is tested on its own). */
const readRoutes = (id: string) => [
  "/api/sweeps",
  `/api/sweeps/${id}`,
  `/api/sweeps/${id}/results.csv`,
  `/api/sweeps/${id}/plot.svg`,
  `/api/sweeps/${id}/summary.svg`,
  `/api/sweeps/${id}/ticket`,
  `/api/compare.svg?ids=${id}`,
];

const finished = (async () => {
  const id = await startSweep({ weightScales: [0.05], epochs: 1, trainSize: 100, seed: 40 });
  await waitForSweep(id, isFinal);
  return id;
})();

describe("with SWEEP_TOKEN set, reads are private by default", () => {
  it("answers 401 on every read route without the token, and 200 with it", async () => {
    const id = await finished;
    for (const path of readRoutes(id)) {
      expect([path, (await apiWith(PRIVATE, path)).status]).toEqual([path, 401]);
      expect([path, (await apiWith(PRIVATE, path, { headers: AUTH })).status]).toEqual([path, 200]);
    }
  });

  it("keeps /healthz open", async () => {
    expect((await apiWith(PRIVATE, "/healthz")).status).toBe(200);
  });

  it("opens the live socket with a ticket from GET …/ticket, not without one, nor with another sweep's", async () => {
    const id = await finished;
    const upgrade = { headers: { Upgrade: "websocket" } };
    expect((await apiWith(PRIVATE, `/api/sweeps/${id}/live`, upgrade)).status).toBe(401);
    const { ticket } = (await (await apiWith(PRIVATE, `/api/sweeps/${id}/ticket`, { headers: AUTH })).json()) as {
      ticket: string;
    };
    expect(ticket).toMatch(/^\d{13}\.[0-9a-f]{64}$/);
    const res = await apiWith(PRIVATE, `/api/sweeps/${id}/live?ticket=${ticket}`, upgrade);
    expect(res.status).toBe(101);
    res.webSocket?.accept();
    res.webSocket?.close(1000, "done");
    const other = "f".repeat(32);
    expect((await apiWith(PRIVATE, `/api/sweeps/${other}/live?ticket=${ticket}`, upgrade)).status).toBe(401);
  });

  it("refuses a ticket once expired, or signed with another token", async () => {
    const now = Date.now();
    const { ticket } = await issueTicket(TOKEN, "a".repeat(32), now);
    expect(await validTicket(TOKEN, "a".repeat(32), ticket, now + TICKET_TTL_MS - 1)).toBe(true);
    expect(await validTicket(TOKEN, "a".repeat(32), ticket, now + TICKET_TTL_MS + 1)).toBe(false);
    expect(await validTicket("another-token", "a".repeat(32), ticket, now)).toBe(false);
    const tampered = `${ticket.slice(0, -1)}${ticket.endsWith("0") ? "1" : "0"}`;
    expect(await validTicket(TOKEN, "a".repeat(32), tampered, now)).toBe(false);
  });
});

describe('with PUBLIC_READ = "true"', () => {
  it("answers every read route without the token, and still refuses mutations", async () => {
    const id = await finished;
    for (const path of readRoutes(id)) expect([path, (await apiWith(PUBLIC, path)).status]).toEqual([path, 200]);
    const res = await apiWith(PUBLIC, "/api/sweeps", { method: "POST", body: "{}" });
    expect(res.status).toBe(401);
  });

  it("needs no ticket for the live socket", async () => {
    const id = await finished;
    const res = await apiWith(PUBLIC, `/api/sweeps/${id}/live`, { headers: { Upgrade: "websocket" } });
    expect(res.status).toBe(101);
    res.webSocket?.accept();
    res.webSocket?.close(1000, "done");
  });
});

describe("without SWEEP_TOKEN and without an open server", () => {
  it("refuses reads too, saying how to set a token", async () => {
    const res = await apiWith({ SWEEP_TOKEN: undefined, ALLOW_OPEN_SERVER: undefined }, "/api/sweeps");
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("token_not_configured");
  });
});

describe("the open local server refuses other web pages", () => {
  const SMALL = JSON.stringify({ weightScales: [0.1], epochs: 1, trainSize: 100 });

  it("refuses a POST without Content-Type: application/json (a no-cors form post) with 415", async () => {
    for (const type of [undefined, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]) {
      const res = await rawApi("/api/sweeps?dryRun=1", {
        method: "POST",
        body: SMALL,
        headers: type ? { "Content-Type": type } : {},
      });
      expect([type, res.status]).toEqual([type, 415]);
      expect(((await res.json()) as { error: { field: string } }).error.field).toBe("Content-Type");
    }
    const json = await rawApi("/api/sweeps?dryRun=1", {
      method: "POST",
      body: SMALL,
      headers: { "Content-Type": "application/json; charset=utf-8" },
    });
    expect(json.status).toBe(200);
  });

  it("refuses a Host that is not the loopback (DNS rebinding) with 403, reads too", async () => {
    for (const host of ["evil.example:8787", "attacker.test", "10.0.0.5:8787"]) {
      const res = await rawApi("/api/sweeps", { headers: { Host: host } });
      expect([host, res.status]).toEqual([host, 403]);
    }
    for (const host of ["localhost:8787", "127.0.0.1:9000", "[::1]:8787", "localhost"]) {
      expect([host, (await rawApi("/api/sweeps", { headers: { Host: host } })).status]).toEqual([host, 200]);
    }
  });

  it("takes the names ALLOWED_HOSTS lists", async () => {
    const res = await apiWith({ ALLOWED_HOSTS: "sweeps.lan, other.lan" }, "/api/sweeps", {
      headers: { Host: "sweeps.lan:8787" },
    });
    expect(res.status).toBe(200);
  });

  it("refuses an Origin other than the server's own with 403, and takes its own", async () => {
    const post = (origin: string) =>
      rawApi("/api/sweeps?dryRun=1", {
        method: "POST",
        body: SMALL,
        headers: { "Content-Type": "application/json", Origin: origin, Host: "localhost:8787" },
      });
    expect((await post("http://evil.example")).status).toBe(403);
    expect((await post("http://localhost:9999")).status).toBe(403);
    expect((await post("null")).status).toBe(403);
    expect((await post("http://localhost:8787")).status).toBe(200);
  });

  it("refuses a preflight", async () => {
    const res = await rawApi("/api/sweeps", {
      method: "OPTIONS",
      headers: { Origin: "http://localhost:8787", "Access-Control-Request-Method": "POST" },
    });
    expect(res.status).toBe(403);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });

  it("does not apply where a token is required: the token keeps other pages out", async () => {
    const res = await apiWith(PRIVATE, "/api/sweeps", { headers: { ...AUTH, Host: "sweeps.example.com" } });
    expect(res.status).toBe(200);
  });
});
