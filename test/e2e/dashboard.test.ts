import { mkdirSync } from "node:fs";
import { type Browser, chromium, type Page } from "playwright-core";
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

/** Fills the form's fields by their labels. */
async function fill(page: Page, values: Record<string, string>): Promise<void> {
  for (const [label, value] of Object.entries(values)) await page.getByLabel(label).fill(value);
}

describe("the dashboard in Chromium", () => {
  it("starts a small sweep from the form and draws one panel per scale with two curves each", async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 1400 } });
    await page.goto(server.url);
    await fill(page, {
      "from (power of ten)": "0",
      "to (power of ten)": "-3",
      count: "4",
      epochs: "3",
      "seed (empty: random)": "0",
      "train size": "200",
    });
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

  it("runs a grid from the grid editor: one titled block per combination and the summary figure, live, final only once drawn", async () => {
    const page = await browser.newPage({ viewport: { width: 1300, height: 1400 } });
    // Slow figure responses: the view may be marked final only after the final figures are drawn.
    await page.route("**/*.svg*", async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 400));
      await route.continue();
    });
    await page.goto(server.url);
    await fill(page, {
      "from (power of ten)": "-1",
      "to (power of ten)": "-2",
      count: "2",
      epochs: "2",
      "seed (empty: random)": "1",
      "train size": "200",
    });
    await page.getByRole("button", { name: "Add a grid field" }).click();
    await page.getByLabel("grid field").selectOption("learningRate");
    await page.getByLabel("values").fill("0.01,0.1");
    await page.getByRole("button", { name: "Start sweep" }).click();
    await page.locator("#current[data-final]").waitFor({ timeout: 180_000 });
    expect(await page.locator("#current-status").textContent()).toBe("completed");
    const titles = await page.locator("#figure text.block-title").allTextContents();
    expect(titles).toEqual(["learningRate 0.01", "learningRate 0.1"]);
    expect(await page.locator("#figure g.panel").count()).toBe(4);
    expect(await page.locator("#summary path.series").count()).toBe(4);
    expect(await page.locator("#settings dt").allTextContents()).toContain("grid");
    expect(await page.locator("#cancel").isHidden()).toBe(true);
    await page.screenshot({ path: `${SCREENSHOTS}dashboard-grid.png`, fullPage: true });
  }, 240_000);

  it("runs §6.4 from the study picker: the study's fields with its script's settings, the weight scales hidden, train and test curves", async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 1000 } });
    await page.goto(server.url);
    await page.getByLabel("study").selectOption("weightDecay");
    expect(await page.getByLabel("train size").inputValue()).toBe("300");
    expect(await page.getByLabel("weight decay").inputValue()).toBe("0.1");
    expect(await page.getByLabel("from (power of ten)").isHidden()).toBe(true);
    expect(await page.getByLabel("iterations").isHidden()).toBe(true);
    await fill(page, { epochs: "2", "test size": "100", "seed (empty: random)": "0" });
    await page.getByRole("button", { name: "Start sweep" }).click();
    await page.locator("#current[data-final]").waitFor({ timeout: 180_000 });
    expect(await page.locator("#current-status").textContent()).toBe("completed");
    expect(await page.locator("#figure g.panel path.curve").count()).toBe(2);
    expect(await page.locator("#figure title").textContent()).toContain("Overfitting and weight decay (§6.4)");
    expect(await page.locator("#summary svg").count()).toBe(0);
  }, 240_000);

  it("runs §6.5 with successive halving from the picker: the halving field shown for randomSearch only, stopped trials marked", async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 1000 } });
    await page.goto(server.url);
    expect(await page.getByLabel("halving").isHidden()).toBe(true);
    await page.getByLabel("study").selectOption("randomSearch");
    expect(await page.getByLabel("halving").inputValue()).toBe("");
    // Drawn by the study's search, so not asked.
    expect(await page.getByLabel("learning rate").isHidden()).toBe(true);
    expect(await page.getByLabel("weight decay").isHidden()).toBe(true);
    await fill(page, { trials: "4", epochs: "3", "seed (empty: random)": "0", halving: '{"rungs":[1],"keep":0.5}' });
    await page.getByRole("button", { name: "Start sweep" }).click();
    await page.locator("#current[data-final]").waitFor({ timeout: 180_000 });
    expect(await page.locator("#current-status").textContent()).toBe("completed");
    // 4 trials enter the rung at 1 epoch; 2 go on to 3 epochs, 2 stop there.
    const items = await page.locator("#progress li").allTextContents();
    expect(items.filter((t) => t.includes("1/3 completed (stopped at a rung)"))).toHaveLength(2);
    expect(items.filter((t) => t.includes("3/3 completed") && !t.includes("stopped"))).toHaveLength(2);
    expect(await page.locator("#figure g.panel").count()).toBe(4);
  }, 240_000);

  it("cancels a running sweep with the Cancel button", async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    await page.goto(server.url);
    await fill(page, { count: "2", epochs: "400", "train size": "200" });
    await page.getByRole("button", { name: "Start sweep" }).click();
    await page.locator("#progress li.running").first().waitFor({ timeout: 60_000 });
    await page.getByRole("button", { name: "Cancel" }).click();
    await page.locator("#current[data-final]").waitFor({ timeout: 60_000 });
    expect(await page.locator("#current-status").textContent()).toBe("cancelled");
  }, 120_000);

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
