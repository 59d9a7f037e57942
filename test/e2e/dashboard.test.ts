import { mkdirSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startDevServer } from "../../scripts/dev-server";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SCREENSHOTS = new URL("../../results/e2e/", import.meta.url).pathname;

let server: DevServer;
let browser: Browser;

beforeAll(async () => {
  server = await startDevServer();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  mkdirSync(SCREENSHOTS, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe("the dashboard in Chromium", () => {
  it("starts a small sweep from the form and draws one panel per scale with two curves each", async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 1400 } });
    await page.goto(server.url);
    await page.getByLabel("from (power of ten)").fill("0");
    await page.getByLabel("to (power of ten)").fill("-3");
    await page.getByLabel("count").fill("4");
    await page.getByLabel("epochs").fill("3");
    await page.getByLabel("seed (empty: random)").fill("0");
    await page.getByLabel("train size").fill("200");
    await page.getByRole("button", { name: "Start sweep" }).click();
    await page.locator("#current[data-final]").waitFor({ timeout: 180_000 });
    expect(await page.locator("#current-status").textContent()).toBe("completed");
    const panels = page.locator("#figure g.panel");
    expect(await panels.count()).toBe(4);
    for (let i = 0; i < 4; i++) expect(await panels.nth(i).locator("path.curve").count()).toBe(2);
    expect(await page.locator("#progress progress").count()).toBe(4);
    expect(await page.locator("#sweeps li").count()).toBeGreaterThanOrEqual(1);
    await page.screenshot({ path: `${SCREENSHOTS}dashboard.png`, fullPage: true });
  }, 240_000);

  it("shows the API's error next to the field", async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 900 } });
    await page.goto(server.url);
    await page.getByLabel("epochs").fill("5000");
    await page.getByRole("button", { name: "Start sweep" }).click();
    const note = page.locator('[data-error-for="epochs"]');
    await note.waitFor();
    expect(await note.textContent()).toBe("epochs must be an integer from 1 to 1000");
    expect(await page.getByLabel("epochs").getAttribute("aria-invalid")).toBe("true");
    await page.screenshot({ path: `${SCREENSHOTS}dashboard-phone-error.png`, fullPage: true });
  }, 60_000);
});
