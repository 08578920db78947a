import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { formatBytes } from "../src/renderer/lib/format.js";
import { LAST_MODEL_STORAGE_KEY } from "../src/renderer/state/last-model.js";
import { startModelFileServer, type ModelFileServer } from "../test/helpers/model-file-server.js";
import { startQueen, type QueenProcess } from "../test/helpers/queen-process.js";
import { CHATML_TEMPLATE, writeTinyGguf } from "../test/helpers/tiny-gguf.js";
import { openUi } from "./open-ui.js";
import { guardPages } from "./page-guard.js";

// A first start, as a new user has it: a fresh RBEE_HOME, this computer as the only node, a model
// catalog (an RBEE_MODEL_CATALOG override naming a generated model on a loopback HTTP server),
// and nothing to fill in from the window to a streamed answer. No sshd anywhere.
test.describe.configure({ mode: "serial" });

const ARTIFACTS = "e2e/artifacts";
const MODEL_FILE = "tiny-chat.gguf";
const STEPS = 8;

let dir: string;
let server: ModelFileServer;
let queen: QueenProcess;
let modelRef: string;
let modelBytes: number;
/** Where the server stops sending until the test lets it go on: half the file. */
let holdAt: number;

test.beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "rbee-e2e-first-run-"));
  const file = join(dir, MODEL_FILE);
  await writeTinyGguf(file, { seed: 21, chatTemplate: CHATML_TEMPLATE, text: "printable" });
  const body = readFileSync(file);
  modelBytes = body.length;
  const stepBytes = Math.ceil(modelBytes / STEPS);
  holdAt = stepBytes * (STEPS / 2);
  // A slow link: eight steps a quarter second apart, so that the progress moves on screen, and a
  // stop halfway until the test has stopped and resumed the download.
  server = await startModelFileServer({ [MODEL_FILE]: body }, { stepBytes, stepMs: 250, holdAt });
  modelRef = `${server.url}/${MODEL_FILE}`;
  const catalog = join(dir, "catalog.json");
  writeFileSync(
    catalog,
    JSON.stringify({ models: [{ alias: "tiny-chat", model_ref: modelRef, description: "A tiny generated chat model (random text)", size_bytes: modelBytes }] }),
  );
  queen = await startQueen({ env: { RBEE_LOCAL_NODE: "1", RBEE_WORKER_THREADS: "1", RBEE_MODEL_CATALOG: catalog } });
});

test.afterAll(async () => {
  await queen?.stop();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// The strict CSP must hold, and no page may throw.
guardPages(test);

/** Saves the page once its transitions (a progress bar's width) have finished. */
async function screenshot(page: Page, name: string): Promise<void> {
  await page.evaluate(() =>
    Promise.all(
      document
        .getAnimations()
        .filter((animation) => animation.effect?.getComputedTiming().iterations !== Infinity)
        .map((animation) => animation.finished.catch(() => undefined)),
    ),
  );
  await page.screenshot({ path: `${ARTIFACTS}/${name}.png` });
}

/** The download's `.partial` files under the queen's home (this computer's hive keeps its models there). */
function partialFiles(): { path: string; size: number }[] {
  const models = join(queen.home, "models");
  let names: string[];
  try {
    names = readdirSync(models, { recursive: true, encoding: "utf8" });
  } catch {
    return [];
  }
  return names.filter((name) => name.endsWith(".partial")).map((name) => ({ path: name, size: statSync(join(models, name)).size }));
}

/** "42% · 1.2 MiB of 2.0 MiB", as the cold start shows `bytes` of the model. */
const amount = (bytes: number): string => `${Math.floor((bytes / modelBytes) * 100)}% · ${formatBytes(bytes)} of ${formatBytes(modelBytes)}`;

test("a first start lists this computer as the node, with nothing to install, and points to the chat", async ({ page }) => {
  await openUi(page, queen);
  const row = page.getByTestId("node-row-local");
  await expect(row).toContainText("This computer");
  await expect(row).toContainText("no SSH, nothing to install");
  await expect(row.getByRole("button", { name: /^(Install|Update) local$/ })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Add this computer" })).toHaveCount(0);
  const hint = page.getByTestId("first-run-hint");
  await expect(hint).toBeVisible();
  await screenshot(page, "first-run-nodes");
  await hint.getByRole("link", { name: "Open the chat" }).click();
  await expect(page).toHaveURL(/#\/chat$/);
});

test("the chat offers the catalog; one click downloads with a progress bar, Stop keeps the download, the next click resumes it, and the answer streams", async ({
  page,
}) => {
  test.setTimeout(120_000);
  await openUi(page, queen);
  await page.keyboard.press("Control+3");
  const chat = page.getByRole("region", { name: "Chat" });
  await expect(chat.getByRole("heading", { name: "Choose a model to start" })).toBeVisible();

  // The override's model, with its size and whether it fits this computer (its hive reports the RAM).
  const offer = chat.getByTestId("model-offer-tiny-chat");
  await expect(offer).toBeVisible();
  await expect(offer.getByTestId("model-size")).toHaveText(formatBytes(modelBytes));
  await expect(offer.getByTestId("model-fit")).toHaveText("fits", { timeout: 30_000 });
  await expect(offer.getByTestId("model-fit-detail")).toContainText(/^Needs about [\d.]+ MiB; this computer has [\d.]+ GiB RAM/);
  // Only the override's models: the built-in catalog is not offered.
  await expect(chat.locator('[data-testid^="model-offer-"]')).toHaveCount(1);
  await screenshot(page, "first-run-catalog");

  // Every frame, note the cold start's amounts on screen.
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { amounts: string[] }).amounts = seen;
    const sample = (): void => {
      const amounts = document.querySelectorAll('[data-testid="chat-answer"] [data-testid="cold-start-amount"]');
      const text = amounts[amounts.length - 1]?.textContent ?? "";
      if (text && seen[seen.length - 1] !== text) seen.push(text);
      requestAnimationFrame(sample);
    };
    requestAnimationFrame(sample);
  });

  await offer.click();
  await expect(chat.getByTestId("chat-question")).toHaveText("Hello!");
  const answer = chat.getByTestId("chat-answer").last();
  const cold = answer.getByTestId("cold-start");
  await expect(cold.getByTestId("cold-start-step")).toHaveText("Downloading", { timeout: 30_000 });
  await expect(cold.getByRole("progressbar", { name: "Cold start: Downloading" })).toBeVisible();
  // The bytes move: some are in, not all.
  await expect(cold.getByTestId("cold-start-amount")).toHaveText(/^([1-9]|[1-4]\d)% · /);
  await screenshot(page, "first-run-download");

  // Halfway the link stalls: the bar stands at the bytes that came.
  await server.held;
  await expect(cold.getByTestId("cold-start-amount")).toHaveText(amount(holdAt));
  await chat.getByRole("button", { name: "Stop" }).click();
  await expect(answer).toHaveAttribute("data-status", "stopped");
  await expect(answer.getByTestId("interrupted-at")).toHaveText(
    `Stopped at: downloading (${formatBytes(holdAt)} of ${formatBytes(modelBytes)} downloaded, kept on the node)`,
  );
  await screenshot(page, "first-run-stopped");
  // What came is on disk, in the partial file the download resumes from.
  expect(partialFiles()).toEqual([expect.objectContaining({ size: holdAt })]);

  // The same model again (the stopped answer's button asks the same question): the download goes on
  // from where it stood, never from zero.
  const before = (await page.evaluate(() => (window as unknown as { amounts: string[] }).amounts)).length;
  await answer.getByRole("button", { name: "Resume download" }).click();
  const resumed = chat.getByTestId("chat-answer").last();
  await expect(resumed).toHaveAttribute("data-status", "pending");
  await expect(resumed.getByTestId("cold-start-amount")).toHaveText(amount(holdAt), { timeout: 30_000 });
  server.release();
  await expect(resumed).toHaveAttribute("data-status", "done", { timeout: 60_000 });

  const after = (await page.evaluate(() => (window as unknown as { amounts: string[] }).amounts)).slice(before);
  const percents = after.map((text) => Number(/^(\d+)%/.exec(text)?.[1]));
  expect(percents.length).toBeGreaterThan(0);
  expect(Math.min(...percents), after.join(" | ")).toBeGreaterThanOrEqual(Math.floor((holdAt / modelBytes) * 100));
  // One download from the start of the file; anything after it asked for the rest only.
  const bodies = server.requests.filter((request) => request.path === `/${MODEL_FILE}`);
  expect(bodies.filter((request) => request.range === undefined)).toHaveLength(1);
  for (const request of bodies.slice(1)) expect(request.range).toMatch(/^bytes=[1-9]\d*-$/);
  expect(partialFiles()).toEqual([]);

  // The streamed answer, on this computer.
  await expect(resumed.getByTestId("answer-text")).not.toBeEmpty();
  await expect(resumed.getByTestId("answer-stats")).toContainText("on local");
  await expect(resumed.getByTestId("cold-start")).toHaveCount(0);
  await screenshot(page, "first-run-answer");
});

test("with one model loaded, typing and Enter send without choosing, and the model used is remembered", async ({ page }) => {
  // A new browser profile: its chat remembers nothing, and the queen has one model loaded.
  await openUi(page, queen);
  await page.keyboard.press("Control+3");
  const chat = page.getByRole("region", { name: "Chat" });
  expect(await page.evaluate((key) => window.localStorage.getItem(key), LAST_MODEL_STORAGE_KEY)).toBeNull();
  await expect(chat.getByRole("heading", { name: `Ask ${MODEL_FILE} anything` })).toBeVisible();
  await expect(chat.getByLabel("Model", { exact: true })).toHaveValue(modelRef);

  const input = chat.getByRole("textbox", { name: "Message", exact: true });
  await input.fill("How are you?");
  await input.press("Enter");
  await expect(input).toHaveValue("");
  await expect(chat.getByTestId("chat-question")).toHaveText("How are you?");
  const answer = chat.getByTestId("chat-answer").last();
  await expect(answer).toHaveAttribute("data-status", "done", { timeout: 30_000 });
  await expect(answer.getByTestId("answer-text")).not.toBeEmpty();
  // The warm worker answered: no cold start.
  await expect(answer.getByTestId("cold-start")).toHaveCount(0);
  expect(await page.evaluate((key) => window.localStorage.getItem(key), LAST_MODEL_STORAGE_KEY)).toBe(modelRef);

  // Remembered across a reload: a new conversation starts with it.
  await page.reload();
  await expect(page.getByTestId("connection-indicator")).toHaveAttribute("data-state", "connected");
  await page.getByRole("button", { name: "New chat" }).click();
  await expect(chat.getByRole("heading", { name: `Ask ${MODEL_FILE} anything` })).toBeVisible();
  await expect(chat.getByLabel("Model", { exact: true })).toHaveValue(modelRef);
  await screenshot(page, "first-run-second-conversation");
});

test("without this computer as a node, the Nodes view offers Add this computer", async ({ page }) => {
  await openUi(page, queen);
  await page.keyboard.press("Control+1");
  const row = page.getByTestId("node-row-local");
  await row.getByRole("button", { name: "Remove local" }).click();
  const dialog = page.getByRole("alertdialog", { name: "Remove local?" });
  await expect(dialog).toContainText("stops using this computer as a node");
  await dialog.getByRole("button", { name: "Remove node" }).click();
  await expect(row).toHaveCount(0);

  const add = page.getByRole("button", { name: "Add this computer" });
  await expect(add).toBeVisible();
  await screenshot(page, "first-run-add-this-computer");
  await add.click();
  await expect(row).toContainText("This computer");
  await expect(add).toHaveCount(0);
});
