import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startDevServer } from "../../scripts/dev-server";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const TOKEN = "e2e-private-token";

let server: DevServer;
let browser: Browser;

beforeAll(async () => {
  // A server with a token: every API route needs it, as when deployed.
  server = await startDevServer({ runners: 1, vars: { SWEEP_TOKEN: TOKEN } });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--no-first-run"] });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe("the dashboard of a private server", () => {
  it("asks for the token once, keeps it for the tab, runs a sweep live, and deletes it with a confirmation", async () => {
    expect((await fetch(`${server.url}/api/sweeps`)).status).toBe(401);
    const page = await browser.newPage({ viewport: { width: 1100, height: 1200 } });
    // What the live socket received: it opens with a ticket, the token never in its URL.
    const sockets: string[] = [];
    const frames: string[] = [];
    page.on("websocket", (ws) => {
      sockets.push(ws.url());
      ws.on("framereceived", (frame) => frames.push(String(frame.payload)));
    });
    await page.goto(server.url);
    await page.locator("#token-box").waitFor({ state: "visible", timeout: 30_000 });
    await page.locator("#token").fill(TOKEN);
    await page.getByRole("button", { name: "Use this token" }).click();
    await page.getByLabel("from (power of ten)").fill("-1");
    await page.getByLabel("to (power of ten)").fill("-2");
    await page.getByLabel("count").fill("2");
    await page.getByLabel("epochs").fill("2");
    await page.getByLabel("train size").fill("100");
    await page.getByRole("button", { name: "Start sweep" }).click();
    await page.locator("#current[data-final]").waitFor({ timeout: 120_000 });
    expect(await page.locator("#current-status").textContent()).toBe("completed");
    expect(await page.locator("#figure g.panel").count()).toBe(2);
    const id = (await page.locator("#current-id").textContent()) ?? "";
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(sockets[0]).toMatch(new RegExp(`/api/sweeps/${id}/live\\?ticket=\\d{13}\\.[0-9a-f]{64}$`));
    expect(sockets.some((url) => url.includes(TOKEN))).toBe(false);
    expect(frames.some((f) => f.includes('"type":"final"'))).toBe(true);
    // The token stays in the tab: a reload lists the sweep without asking again.
    await page.reload();
    await page.locator(`#sweeps a[href="#${id}"]`).waitFor({ timeout: 30_000 });
    expect(await page.locator("#token-box").isHidden()).toBe(true);
    await page.locator("#current[data-final]").waitFor({ timeout: 30_000 });
    page.once("dialog", (dialog) => void dialog.accept());
    await page.getByRole("button", { name: "Delete…" }).click();
    await page.locator("#current").waitFor({ state: "hidden", timeout: 30_000 });
    const gone = await fetch(`${server.url}/api/sweeps/${id}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(gone.status).toBe(404);
  }, 240_000);
});
