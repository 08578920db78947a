import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { addInstalledNode } from "../test/helpers/installed-node.js";
import { startQueen, type QueenProcess } from "../test/helpers/queen-process.js";
import { startSshd, type Sshd } from "../test/helpers/sshd.js";
import { writeTinyGguf } from "../test/helpers/tiny-gguf.js";
import { openUi } from "./open-ui.js";
import { guardPages } from "./page-guard.js";

// The Spawn worker dialog's engines, "Split across" and placement preview, in the real renderer
// against a real queen and two real nodes on loopback sshd. Node `small` gives rbee 1 MiB
// (RBEE_MEMORY_LIMIT_BYTES, through its sshd's environment): no model fits there alone, so the
// preview says why in the error style and where the model would fit instead (on `roomy`).
test.describe.configure({ mode: "serial" });

const SMALL = "small";
const ROOMY = "roomy";
const ARTIFACTS = "e2e/artifacts";

let dir: string;
let model: string;
let sshds: Sshd[] = [];
let queen: QueenProcess;

test.beforeAll(async () => {
  test.setTimeout(300_000);
  dir = mkdtempSync(join(tmpdir(), "rbee-e2e-split-"));
  // The model lies in roomy's models folder: the queen reads its size there (a `file:` ref names a
  // file inside a node's models folder), and small could get it by a copy.
  mkdirSync(join(dir, ROOMY, "home", "models"), { recursive: true });
  model = join(dir, ROOMY, "home", "models", "tiny.gguf");
  await writeTinyGguf(model, { blocks: 8, text: "printable", seed: 5 });
  const node = async (name: string, env: Record<string, string>): Promise<Sshd> => {
    const home = join(dir, name, "home");
    mkdirSync(home, { recursive: true });
    return startSshd({ setEnv: { RBEE_HOME: home, ...env } });
  };
  sshds = await Promise.all([node(SMALL, { RBEE_MEMORY_LIMIT_BYTES: String(1024 * 1024) }), node(ROOMY, {})]);
  queen = await startQueen({ env: { RBEE_WORKER_THREADS: "1", RBEE_NODE_HOME: "" } });
  await addInstalledNode(queen, sshds[0]!, SMALL, join(dir, SMALL));
  await addInstalledNode(queen, sshds[1]!, ROOMY, join(dir, ROOMY));
});

test.afterAll(async () => {
  await queen?.stop();
  await Promise.all(sshds.map((sshd) => sshd.dispose()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

guardPages(test);

async function openSpawnDialog(page: Page) {
  await openUi(page, queen);
  await page.getByRole("link", { name: "Workers" }).click();
  await page.getByRole("button", { name: "Spawn worker" }).first().click();
  const dialog = page.getByRole("dialog", { name: "Spawn worker" });
  await dialog.getByLabel("Node", { exact: true }).selectOption(SMALL);
  return dialog;
}

async function shot(page: Page, name: string): Promise<void> {
  await page.evaluate(() => Promise.all(document.getAnimations().map((animation) => animation.finished.catch(() => undefined))));
  await page.screenshot({ path: `${ARTIFACTS}/${name}.png` });
}

test("the Nodes view lists each node's engines with their state", async ({ page }) => {
  await openUi(page, queen);
  const engines = page.getByTestId(`engines-row-${SMALL}`);
  await expect(engines.getByTestId("engine-node-llama-cpp")).toHaveAttribute("data-state", "ready");
  // llama-server and rpc-server are built here (or buildable): never "unavailable" on this machine.
  for (const engine of ["llama-server", "rpc-server"]) {
    await expect(engines.getByTestId(`engine-${engine}`)).toHaveAttribute("data-state", /^(ready|buildable)$/);
    await expect(engines.getByTestId(`engine-${engine}`)).toContainText(/ready|built on first use/);
  }
  await expect(engines).toBeInViewport();
});

test("the spawn dialog shows each engine's state on the node and the nodes to split across", async ({ page }) => {
  const dialog = await openSpawnDialog(page);
  const engines = dialog.getByTestId("engine-choice");
  await expect(engines).toContainText(`Engine on ${SMALL}`);
  const llamaCpp = engines.getByTestId("engine-node-llama-cpp");
  await expect(llamaCpp).toHaveAttribute("data-state", "ready");
  await expect(llamaCpp.getByRole("radio")).toBeChecked();
  const server = engines.getByTestId("engine-llama-server");
  await expect(server).toHaveAttribute("data-state", /^(ready|buildable)$/);
  await expect(server.getByTestId("engine-note")).toHaveText(/^(ready|built on first use \(about \d+ minutes.*\))$/);
  await expect(server.getByRole("radio")).toBeEnabled();

  const roomy = dialog.getByTestId(`shard-${ROOMY}`);
  await expect(roomy).toBeInViewport();
  await expect(roomy.getByRole("checkbox")).toBeEnabled();
  await expect(dialog.getByTestId(`shard-${SMALL}`)).toHaveCount(0);
  // Picking a node to split across runs the model on llama-server.
  await roomy.getByRole("checkbox").check();
  await expect(server.getByRole("radio")).toBeChecked();
  await llamaCpp.getByRole("radio").check();
  await expect(roomy.getByRole("checkbox")).not.toBeChecked();
});

test("the placement preview says why a model fits nowhere on the node, and where it would fit", async ({ page }) => {
  const dialog = await openSpawnDialog(page);
  await dialog.getByLabel("Model", { exact: true }).fill(`file:${model}`);
  const preview = dialog.getByTestId("placement-preview");
  await expect(preview).toHaveAttribute("data-state", "answer", { timeout: 20_000 });
  const answer = preview.getByTestId("placement-answer");
  await expect(answer).toHaveAttribute("data-kind", "none");
  await expect(answer.getByTestId("placement-headline")).toHaveText("Fits nowhere");
  await expect(answer.getByTestId("placement-reason")).not.toBeEmpty();
  const elsewhere = answer.getByTestId("placement-elsewhere");
  await expect(elsewhere).toContainText(`Runs on ${ROOMY} alone`);
  await expect(elsewhere).toBeInViewport();
  await expect(dialog.getByRole("button", { name: "Spawn", exact: true })).toBeInViewport();
  await shot(page, "split-placement-nowhere");

  await elsewhere.getByRole("button", { name: "Use these nodes" }).click();
  await expect(dialog.getByLabel("Node", { exact: true })).toHaveValue(ROOMY);
  await expect(answer).toHaveAttribute("data-kind", "single");
  await expect(answer.getByTestId("placement-headline")).toHaveText(`Runs on ${ROOMY} alone (cpu, node-llama-cpp)`);
  await expect(answer).toContainText(/Needs [\d.]+ [KMG]i?B/);
});

test("splitting across another node asks the queen again for both", async ({ page }) => {
  const dialog = await openSpawnDialog(page);
  await dialog.getByLabel("Model", { exact: true }).fill(`file:${model}`);
  const answer = dialog.getByTestId("placement-answer");
  await expect(answer).toHaveAttribute("data-kind", "none", { timeout: 20_000 });
  const asked = page.waitForRequest((request) => request.url().includes("/v2/placement/preview") && /nodes=small%2Croomy|nodes=small,roomy/.test(request.url()));
  await dialog.getByTestId(`shard-${ROOMY}`).getByRole("checkbox").check();
  await asked;
  // The two nodes together hold it: a split with what each holds, or roomy alone (the file fits there).
  await expect(answer).toHaveAttribute("data-kind", /^(split|single)$/, { timeout: 20_000 });
  const headline = await answer.getByTestId("placement-headline").textContent();
  if (headline?.startsWith("Split")) {
    await expect(answer.getByTestId(`placement-part-${SMALL}`)).toBeVisible();
    await expect(answer.getByTestId(`placement-part-${ROOMY}`)).toContainText(/[\d.]+ [KMG]i?B/);
  } else {
    expect(headline).toMatch(new RegExp(`^Runs on ${ROOMY} alone \\(cpu, (llama-server|node-llama-cpp)\\)$`));
  }
  await expect(dialog.getByRole("button", { name: "Spawn", exact: true })).toBeInViewport();
  await shot(page, "split-placement-split");
});
