import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test, type Locator, type Page } from "@playwright/test";
import { formatBytes } from "../src/renderer/lib/format.js";
import { startModelFileServer, type ModelFileServer } from "../test/helpers/model-file-server.js";
import { makeProjectRepo } from "../test/helpers/project-repo.js";
import { startQueen, type QueenProcess } from "../test/helpers/queen-process.js";
import { startSshd, type Sshd } from "../test/helpers/sshd.js";
import { writeTinyGguf } from "../test/helpers/tiny-gguf.js";
import { addAndInstallNode } from "./install-node.js";
import { openUi } from "./open-ui.js";
import { guardPages } from "./page-guard.js";

// The Models view against the real thing: a real queen-rbee, two loopback sshd (two "machines",
// each with its own node home), both installed from this project, and a model file served by a
// loopback HTTP server. The model is downloaded to one node and copied to the other from the
// window, each with its progress bar. The tests build on each other, as a user would.
test.describe.configure({ mode: "serial" });

const ARTIFACTS = "e2e/artifacts";
const MODEL_FILE = "fleet-tiny.gguf";
const STEPS = 10;

let dir: string;
let machines: Sshd[] = [];
let server: ModelFileServer;
let queen: QueenProcess;
let modelRef: string;
let modelBytes: number;

test.beforeAll(async () => {
  test.setTimeout(300_000);
  dir = mkdtempSync(join(tmpdir(), "rbee-e2e-models-"));
  const file = join(dir, MODEL_FILE);
  await writeTinyGguf(file, { seed: 31 });
  const body = readFileSync(file);
  modelBytes = body.length;
  // A slow link: ten steps 300 ms apart, so that the download's bar moves on screen.
  server = await startModelFileServer({ [MODEL_FILE]: body }, { stepBytes: Math.ceil(modelBytes / STEPS), stepMs: 300 });
  modelRef = `${server.url}/${MODEL_FILE}`;
  // Each "machine" gives its sessions its own node home (sshd's SetEnv RBEE_HOME).
  machines = await Promise.all(
    ["mac", "gpu"].map((name) => {
      mkdirSync(join(dir, name, "home"), { recursive: true });
      return startSshd({ setEnv: { RBEE_HOME: join(dir, name, "home") } });
    }),
  );
  // The copy through the queen is held to a third of the file a second, so that its bar is seen moving.
  queen = await startQueen({ env: { RBEE_WORKER_THREADS: "1", RBEE_COPY_MAX_BYTES_PER_S: String(Math.ceil(modelBytes / 3)) } });
  const repoUrl = makeProjectRepo(join(dir, "repo"));
  await addAndInstallNode(queen, machines[0]!, "mac", repoUrl, join(dir, "mac", "rbee"));
  await addAndInstallNode(queen, machines[1]!, "gpu", repoUrl, join(dir, "gpu", "rbee"));
});

test.afterAll(async () => {
  await queen?.stop();
  await server?.stop();
  for (const sshd of machines) await sshd.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// The strict CSP must hold, and no page may throw.
guardPages(test);

/** Saves the page in light and dark, each once its transitions have finished. */
async function screenshots(page: Page, name: string): Promise<void> {
  for (const scheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.evaluate(() =>
      Promise.all(
        document
          .getAnimations()
          .filter((animation) => animation.effect?.getComputedTiming().iterations !== Infinity)
          .map((animation) => animation.finished.catch(() => undefined)),
      ),
    );
    await page.screenshot({ path: `${ARTIFACTS}/${name}${scheme === "dark" ? "-dark" : ""}.png` });
  }
  await page.emulateMedia({ colorScheme: "light" });
}

/** Waits until `bar` shows a value strictly between 0 and 100: the transfer is seen under way. */
async function seenUnderWay(bar: Locator, what: string): Promise<void> {
  await expect(async () => {
    // Read without waiting: a bar that is gone, or has no value (indeterminate), fails this pass.
    const values = await bar.evaluateAll((bars) => bars.map((element) => element.getAttribute("aria-valuenow")));
    expect(values, `${what}: one progress bar with a value between 0 and 100 (aria-valuenow)`).toEqual([expect.stringMatching(/^[1-9]\d?$/)]);
  }).toPass({ timeout: 30_000, intervals: [50] });
}

const nodeCard = (page: Page, node: string): Locator => page.getByTestId(`models-node-${node}`);

test("the Models view lists both nodes, empty, with their free disk", async ({ page }) => {
  await openUi(page, queen);
  await page.getByRole("link", { name: "Models" }).click();
  await expect(page).toHaveURL(/#\/models$/);
  for (const node of ["mac", "gpu"]) {
    await expect(nodeCard(page, node)).toContainText("No model files yet");
    await expect(nodeCard(page, node).getByTestId("disk-free")).toHaveText(/^[\d.]+ [KMGT]iB free$/);
  }
});

test("a download to one node shows its progress bar, then the file on that node only", async ({ page }) => {
  await openUi(page, queen);
  await page.goto(`${queen.baseUrl}/#/models`);
  await page.getByRole("button", { name: "Download model" }).click();
  const form = page.getByRole("dialog", { name: "Download model" });
  await form.getByLabel("Node", { exact: true }).selectOption("mac");
  await form.getByLabel("Model", { exact: true }).fill(modelRef);
  await form.getByRole("button", { name: "Download", exact: true }).click();
  await expect(form).toBeHidden();

  const bar = nodeCard(page, "mac").getByRole("progressbar", { name: `Downloading ${MODEL_FILE} to mac` });
  await seenUnderWay(bar, "the download to mac");
  await screenshots(page, "models-download");

  const row = page.getByTestId(`model-row-mac-${MODEL_FILE}`);
  await expect(row).toBeVisible({ timeout: 30_000 });
  await expect(row).toContainText(formatBytes(modelBytes));
  await expect(row.getByTestId("model-in-use")).toHaveText("not in use");
  await expect(bar).toHaveCount(0);
  await expect(nodeCard(page, "gpu")).toContainText("No model files yet");
});

test("a copy to the other node shows its progress bar, then the file on both, with one sha256", async ({ page }) => {
  await openUi(page, queen);
  await page.goto(`${queen.baseUrl}/#/models`);
  const requests = server.requests.length;
  await page.getByRole("button", { name: `Copy ${MODEL_FILE} from mac to another node` }).click();
  const form = page.getByRole("dialog", { name: "Copy model" });
  await expect(form.getByLabel("Copy to", { exact: true })).toHaveValue("gpu");
  await form.getByRole("button", { name: "Copy", exact: true }).click();
  await expect(form).toBeHidden();

  const bar = nodeCard(page, "gpu").getByRole("progressbar", { name: `Copying ${MODEL_FILE} to gpu from mac` });
  await seenUnderWay(bar, "the copy to gpu");
  await screenshots(page, "models-copy");

  const copied = page.getByTestId(`model-row-gpu-${MODEL_FILE}`);
  await expect(copied).toBeVisible({ timeout: 60_000 });
  await expect(copied).toContainText(formatBytes(modelBytes));
  const original = page.getByTestId(`model-row-mac-${MODEL_FILE}`);
  const digest = (await copied.locator("td").nth(2).textContent())?.trim();
  expect(digest).toMatch(/^[0-9a-f]{12}$/);
  await expect(original.locator("td").nth(2)).toHaveText(digest!);
  // Through the queen, from node to node: the file server was not asked again.
  expect(server.requests.length).toBe(requests);
  await screenshots(page, "models");
});

test("remove asks first, then the file goes from that node only", async ({ page }) => {
  await openUi(page, queen);
  await page.goto(`${queen.baseUrl}/#/models`);
  await page.getByRole("button", { name: `Remove ${MODEL_FILE} from gpu` }).click();
  const dialog = page.getByRole("alertdialog", { name: `Remove ${MODEL_FILE} from gpu?` });
  await dialog.getByRole("button", { name: "Remove model" }).click();
  await expect(dialog).toBeHidden();
  await expect(nodeCard(page, "gpu")).toContainText("No model files yet");
  await expect(page.getByTestId(`model-row-mac-${MODEL_FILE}`)).toBeVisible();
});

test("a node that cannot be asked shows its error in its own section; the other node's models stay listed", async ({ page }) => {
  await openUi(page, queen);
  await page.goto(`${queen.baseUrl}/#/models`);
  await machines[1]!.cut();
  try {
    await page.getByRole("button", { name: "List the models again" }).click();
    await expect(nodeCard(page, "gpu").getByRole("alert")).toContainText("Could not ask gpu", { timeout: 30_000 });
    await expect(page.getByTestId(`model-row-mac-${MODEL_FILE}`)).toBeVisible();
    await screenshots(page, "models-node-error");
  } finally {
    await machines[1]!.start();
  }
});
