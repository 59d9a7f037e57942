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

  it("refuses to cancel or retry without the token, but reads freely", async () => {
    const id = "0123456789abcdef0123456789abcdef";
    expect((await apiWith(TOKEN, `/api/sweeps/${id}`, { method: "DELETE" })).status).toBe(401);
    expect((await apiWith(TOKEN, `/api/sweeps/${id}/experiments/0/retry`, { method: "POST" })).status).toBe(401);
    expect((await apiWith(TOKEN, "/api/sweeps")).status).toBe(200);
  });
});
