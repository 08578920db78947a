import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { machineGpus } from "../test/helpers/gpu.js";
import { listeningSockets, pidsMatching } from "../test/helpers/listening-sockets.js";
import { makeProjectRepo } from "../test/helpers/project-repo.js";
import { startQueen, type QueenProcess } from "../test/helpers/queen-process.js";
import { startSshd, type Sshd } from "../test/helpers/sshd.js";
import { writeTinyGguf } from "../test/helpers/tiny-gguf.js";
import { openUi } from "./open-ui.js";
import { guardPages } from "./page-guard.js";

// The daily path through the real renderer: a real queen-rbee, a real sshd on loopback, a real
// install from a git repository of this project, and a real worker with a generated model.
// The tests run in order and build on each other's state, as a user would.
test.describe.configure({ mode: "serial" });

const NODE = "lab-box";
const ARTIFACTS = "e2e/artifacts";
// Long enough that Stop lands mid-answer: a one-thread worker on the tiny model writes hundreds of tokens a second.
const MAX_TOKENS = 4000;

let dir: string;
let sshd: Sshd;
let queen: QueenProcess;
let repoUrl: string;
let modelRef: string;

test.beforeAll(async () => {
  test.setTimeout(60_000);
  dir = mkdtempSync(join(tmpdir(), "rbee-e2e-chat-"));
  repoUrl = makeProjectRepo(join(dir, "repo"));
  const model = join(dir, "tiny.gguf");
  // A context that holds the whole answer; the model never ends on its own.
  await writeTinyGguf(model, { seed: 11, contextLength: 8192 });
  modelRef = `file:${model}`;
  sshd = await startSshd();
  // The user's ssh config, as the Add node dialog imports it.
  const sshConfig = join(dir, "ssh_config");
  writeFileSync(
    sshConfig,
    [
      `Host ${NODE}`,
      "  HostName 127.0.0.1",
      `  Port ${sshd.port}`,
      `  User ${sshd.user}`,
      `  IdentityFile ${sshd.keyPath}`,
      "",
      "Host *.lan",
      "  User nobody",
      "",
    ].join("\n"),
  );
  queen = await startQueen({
    env: { RBEE_NODE_HOME: join(dir, "node", "home"), RBEE_WORKER_THREADS: "1", RBEE_SSH_CONFIG: sshConfig },
  });
});

test.afterAll(async () => {
  await queen?.stop();
  await sshd?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// The strict CSP must hold, and no page may throw.
guardPages(test);

/** Saves the page in light and dark, each once its colour transitions have finished. */
async function screenshots(page: Page, name: string): Promise<void> {
  for (const scheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await settled(page);
    await page.screenshot({ path: `${ARTIFACTS}/${name}${scheme === "dark" ? "-dark" : ""}.png` });
  }
  await page.emulateMedia({ colorScheme: "light" });
}

/** Waits for the page's finite animations and transitions (a theme switch fades colours). */
async function settled(page: Page): Promise<void> {
  await page.evaluate(() =>
    Promise.all(
      document
        .getAnimations()
        .filter((animation) => animation.effect?.getComputedTiming().iterations !== Infinity)
        .map((animation) => animation.finished.catch(() => undefined)),
    ),
  );
}

test("adds a node imported from ~/.ssh/config and installs it with a progress bar", async ({ page }) => {
  test.setTimeout(180_000);
  await openUi(page, queen);
  await page.getByRole("button", { name: "Add node" }).first().click();
  const form = page.getByRole("dialog", { name: "Add node" });

  // Only the concrete host is offered; picking it fills the connection as ssh would connect.
  const picker = form.getByLabel("Import from ~/.ssh/config");
  await expect(picker.locator("option")).toHaveCount(2);
  await picker.selectOption(NODE);
  await expect(form.getByLabel("Node name", { exact: true })).toHaveValue(NODE);
  await expect(form.getByLabel("SSH host", { exact: true })).toHaveValue("127.0.0.1");
  await expect(form.getByLabel("SSH port", { exact: true })).toHaveValue(String(sshd.port));
  await expect(form.getByLabel("SSH user", { exact: true })).toHaveValue(sshd.user);
  await expect(form.getByLabel("SSH key path", { exact: true })).toHaveValue(sshd.keyPath);

  await form.getByLabel("Git repository URL", { exact: true }).fill(repoUrl);
  await form.getByLabel("Install path", { exact: true }).fill(join(dir, "node", "rbee"));
  await form.getByRole("button", { name: "Test connection" }).click();
  // A busy machine can take a while to answer the first SSH handshake.
  await form.getByLabel("I checked this fingerprint and trust this host").check({ timeout: 30_000 });
  await form.getByRole("button", { name: "Save" }).click();
  await expect(form).toBeHidden({ timeout: 30_000 });

  const row = page.getByTestId(`node-row-${NODE}`);
  await expect(row.getByTestId("node-status")).toHaveText("reachable");
  await row.getByRole("button", { name: `Install ${NODE}` }).click();

  // The install streams its steps into a progress bar under the node.
  const install = page.getByTestId(`install-row-${NODE}`);
  await expect(install.getByRole("progressbar", { name: `Installing rbee on ${NODE}` })).toBeVisible();
  await expect(install.getByTestId("install-progress")).toContainText(/Installing|Connecting/);
  await expect(row.getByTestId("node-status")).toHaveText("installing");
  await screenshots(page, "nodes-installing");

  await expect(row.getByTestId("node-status")).toHaveText("ready", { timeout: 170_000 });
  await expect(install.getByTestId("install-result")).toContainText(`${NODE} is ready`);
  // What the node has, as its hive reports it.
  // The node is this machine: cpu alone unless it has a GPU, then its GPUs after cpu.
  const devicesLine = machineGpus().any ? /^cpu( · (\d+× )?(cuda|metal|vulkan))+ · [\d.]+ GiB RAM$/ : /^cpu · [\d.]+ GiB RAM$/;
  await expect(row.getByTestId("node-devices")).toContainText(devicesLine);
  await expect(install.getByRole("progressbar")).toBeHidden();
  await expect(row.getByRole("button", { name: `Update ${NODE}` })).toBeEnabled();
  await screenshots(page, "nodes-ready");
});

test("chat streams an answer token by token, Stop ends it, and the conversation goes on", async ({ page }) => {
  await openUi(page, queen);
  await page.keyboard.press("Control+3");
  await expect(page).toHaveURL(/#\/chat$/);

  const chat = page.getByRole("region", { name: "Chat" });
  await expect(chat.getByRole("heading", { name: "Choose a model to start" })).toBeVisible();
  await page.screenshot({ path: `${ARTIFACTS}/chat-empty.png` });
  await chat.getByLabel("Model", { exact: true }).fill(modelRef);
  await chat.getByLabel("Node", { exact: true }).selectOption(NODE);
  await chat.getByLabel("Max tokens").fill(String(MAX_TOKENS));

  // Every frame, note the length of the answer on screen.
  await page.evaluate(() => {
    const lengths: number[] = [];
    (window as unknown as { answerLengths: number[] }).answerLengths = lengths;
    const sample = (): void => {
      const answers = document.querySelectorAll('[data-testid="chat-answer"] [data-testid="answer-text"]');
      const length = answers[answers.length - 1]?.textContent?.length ?? 0;
      if (lengths[lengths.length - 1] !== length) lengths.push(length);
      requestAnimationFrame(sample);
    };
    requestAnimationFrame(sample);
  });

  const input = chat.getByRole("textbox", { name: "Message", exact: true });
  await input.fill("hello");
  await input.press("Enter");
  await expect(input).toHaveValue("");
  await expect(chat.getByTestId("chat-question")).toHaveText("hello");

  // The cold start shows its steps while the worker starts.
  const answer = chat.getByTestId("chat-answer").last();
  await expect(answer.getByTestId("cold-start")).toBeVisible();
  await page.screenshot({ path: `${ARTIFACTS}/chat-cold-start.png` });

  // Tokens arrive: once a good part is on screen, Esc stops the answer mid-stream.
  await page.waitForFunction(
    () => {
      const lengths = (window as unknown as { answerLengths: number[] }).answerLengths;
      return (lengths[lengths.length - 1] ?? 0) > 300;
    },
    null,
    { polling: "raf", timeout: 30_000 },
  );
  await expect(chat.getByRole("button", { name: "Stop" })).toBeVisible();
  await page.keyboard.press("Escape");

  await expect(answer).toHaveAttribute("data-status", "stopped");
  const stats = answer.getByTestId("answer-stats");
  await expect(stats).toContainText("Stopped");
  await expect(stats).toContainText(/TTFT \d+ ms/);
  await expect(stats).toContainText(/[\d.]+ tok\/s/);
  await expect(stats).toContainText(`on ${NODE}`);
  const tokens = Number(/(\d+) tokens/.exec((await stats.textContent()) ?? "")?.[1]);
  expect(tokens).toBeGreaterThan(0);
  expect(tokens).toBeLessThan(MAX_TOKENS);
  await expect(chat.getByRole("button", { name: "Send" })).toBeVisible();

  // More than one paint: the answer grew over many frames, not in one go.
  const lengths = await page.evaluate(() => (window as unknown as { answerLengths: number[] }).answerLengths);
  const painted = new Set(lengths.filter((length) => length > 0));
  expect(painted.size).toBeGreaterThan(1);

  // A second turn goes to the warm worker with the conversation so far, and runs to its end.
  await chat.getByLabel("Max tokens").fill("24");
  await input.fill("and again");
  await input.press("Enter");
  const second = chat.getByTestId("chat-answer").nth(1);
  await expect(second).toHaveAttribute("data-status", "done");
  await expect(second.getByTestId("answer-stats")).toContainText("24 tokens");
  await expect(second.getByTestId("answer-stats")).toContainText("Cut at max tokens");
  await expect(second.getByTestId("cold-start")).toHaveCount(0);
  await screenshots(page, "chat");

  // Conversations survive a reload.
  await page.reload();
  await expect(page.getByTestId("connection-indicator")).toHaveAttribute("data-state", "connected");
  await expect(chat.getByTestId("chat-question")).toHaveText(["hello", "and again"]);
  await expect(chat.getByTestId("chat-answer").first()).toHaveAttribute("data-status", "stopped");
  await expect(page.getByRole("complementary", { name: "Conversations" }).getByRole("button", { name: /^hello/ })).toBeVisible();
});

test("the worker shows idle in the Workers view, and another spawns from its dialog", async ({ page }) => {
  await openUi(page, queen);
  await page.keyboard.press("Control+2");
  await expect(page).toHaveURL(/#\/workers$/);
  const rows = page.locator('[data-testid^="worker-row-"]');
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText(NODE);
  await expect(rows.first()).toContainText("tiny.gguf");
  await expect(rows.first().getByTestId("worker-state")).toHaveText("idle");
  await expect(rows.first().getByTestId("worker-slots")).toHaveText("0/1");
  await screenshots(page, "workers-live");

  await page.getByRole("button", { name: "Spawn worker" }).click();
  const dialog = page.getByRole("dialog", { name: "Spawn worker" });
  await dialog.getByLabel("Node", { exact: true }).selectOption(NODE);
  await dialog.getByLabel("Model", { exact: true }).fill(modelRef);
  await dialog.getByLabel("Slots").fill("2");
  await page.screenshot({ path: `${ARTIFACTS}/spawn-dialog.png` });
  await dialog.getByRole("button", { name: "Spawn" }).click();
  await expect(dialog).toBeHidden({ timeout: 30_000 });
  await expect(rows).toHaveCount(2);
  // Rows are ordered by worker id, which is random: compare as a set.
  await expect.poll(async () => (await page.getByTestId("worker-slots").allInnerTexts()).map((t) => t.trim()).sort()).toEqual(["0/1", "0/2"]);

  // With the whole product running (queen, hive, two workers), nothing listens beyond loopback.
  const hive = JSON.parse(readFileSync(join(dir, "node", "home", "hive.json"), "utf8")) as { pid: number };
  const workerPids = pidsMatching(join(dir, "node", "rbee", "dist", "bin", "llm-worker-rbee.js"));
  expect(workerPids).toHaveLength(2);
  const sockets = listeningSockets([queen.child.pid!, hive.pid, ...workerPids]);
  expect(new Set(sockets.map((socket) => socket.pid)).size).toBe(4);
  for (const socket of sockets) expect(socket.address, JSON.stringify(socket)).toMatch(/^127\.|^::1$/);
});
