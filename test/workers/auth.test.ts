import { describe, expect, it } from "vitest";
import { apiWith } from "./helpers";

const TOKEN = { SWEEP_TOKEN: "s3cret-token" };
const SMALL = JSON.stringify({ weightScales: [0.1], epochs: 1, trainSize: 100 });

describe("with SWEEP_TOKEN set", () => {
  it("refuses to start a sweep without the token with 401", async () => {
    const res = await apiWith(TOKEN, "/api/sweeps", { method: "POST", body: SMALL });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      error: { code: "unauthorized", message: "this server needs Authorization: Bearer <SWEEP_TOKEN>" },
    });
  });

  it("refuses a wrong token with 401", async () => {
    const res = await apiWith(TOKEN, "/api/sweeps", {
      method: "POST",
      body: SMALL,
      headers: { Authorization: "Bearer s3cret-tokem" },
    });
    expect(res.status).toBe(401);
  });

  it("starts a sweep with the right token", async () => {
    const res = await apiWith(TOKEN, "/api/sweeps", {
      method: "POST",
      body: SMALL,
      headers: { Authorization: "Bearer s3cret-token" },
    });
    expect(res.status).toBe(202);
  });

  it("refuses to cancel or retry without the token", async () => {
    const id = "0123456789abcdef0123456789abcdef";
    expect((await apiWith(TOKEN, `/api/sweeps/${id}`, { method: "DELETE" })).status).toBe(401);
    expect((await apiWith(TOKEN, `/api/sweeps/${id}/experiments/0/retry`, { method: "POST" })).status).toBe(401);
  });
});

describe("without SWEEP_TOKEN", () => {
  const closed = { SWEEP_TOKEN: undefined, ALLOW_OPEN_SERVER: undefined };

  it("refuses to start, cancel or retry with 401 saying how to set a token or open the server", async () => {
    const res = await apiWith(closed, "/api/sweeps", { method: "POST", body: SMALL });
    expect(res.status).toBe(401);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe("token_not_configured");
    expect(error.message).toContain("wrangler secret put SWEEP_TOKEN");
    expect(error.message).toContain('ALLOW_OPEN_SERVER = "true"');
    const id = "0123456789abcdef0123456789abcdef";
    expect((await apiWith(closed, `/api/sweeps/${id}`, { method: "DELETE" })).status).toBe(401);
    expect((await apiWith(closed, `/api/sweeps/${id}/experiments/0/retry`, { method: "POST" })).status).toBe(401);
  });

  it("starts sweeps when the deployment opts into an open server", async () => {
    const res = await apiWith({ SWEEP_TOKEN: undefined, ALLOW_OPEN_SERVER: "true" }, "/api/sweeps", {
      method: "POST",
      body: SMALL,
    });
    expect(res.status).toBe(202);
  });
});

describe("the Authorization scheme", () => {
  it("is case-insensitive: bearer and BEARER work as Bearer", async () => {
    for (const scheme of ["bearer", "BEARER"]) {
      const res = await apiWith(TOKEN, "/api/sweeps", {
        method: "POST",
        body: SMALL,
        headers: { Authorization: `${scheme} s3cret-token` },
      });
      expect(res.status).toBe(202);
    }
  });
});
