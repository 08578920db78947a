import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "@playwright/test";
import { makeProjectRepo } from "../test/helpers/project-repo.js";
import { startQueen, type QueenProcess } from "../test/helpers/queen-process.js";
import { readSseJson } from "../test/helpers/sse.js";
import { startSshd, type Sshd } from "../test/helpers/sshd.js";
import { writeTinyGguf } from "../test/helpers/tiny-gguf.js";
import { openUi } from "./open-ui.js";
import { guardPages } from "./page-guard.js";

// The Logs panel and a dead worker's notice through the real renderer: a real queen-rbee, a real
// sshd on loopback, a node installed from a git repository of this project, real workers on a
// generated model. The tests run in order, as a user would.
test.describe.configure({ mode: "serial" });

const NODE = "mac";
const ARTIFACTS = "e2e/artifacts";

let dir: string;
let sshd: Sshd;
let queen: QueenProcess;
let modelRef: string;
const nodeHome = (): string => join(dir, "node", "home");

async function post(path: string, body: unknown): Promise<Response> {
  return fetch(`${queen.baseUrl}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${queen.token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** Spawns a worker through the queen's API; answers its id. */
async function spawn(): Promise<string> {
  const { events } = await readSseJson(await post("/v1/workers/spawn", { node_name: NODE, model_ref: modelRef }));
  const last = events.at(-1) as { type: string; worker?: { id: string } };
  if (last.type !== "worker" || !last.worker) throw new Error(`spawn failed: ${JSON.stringify(events)}`);
  return last.worker.id;
}

/** The pid of a worker, from its hive (on this loopback "node"). */
async function workerPid(id: string): Promise<number> {
  const token = readFileSync(join(nodeHome(), "hive-token"), "utf8").trim();
  const { url } = JSON.parse(readFileSync(join(nodeHome(), "hive.json"), "utf8")) as { url: string };
  const listed = (await (await fetch(`${url}/v1/workers/list`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
    workers: { id: string; pid: number }[];
  };
  return listed.workers.find((worker) => worker.id === id)!.pid;
}

let workerId: string;

test.beforeAll(async () => {
  test.setTimeout(240_000);
  dir = mkdtempSync(join(tmpdir(), "rbee-e2e-logs-"));
  const model = join(dir, "tiny.gguf");
  await writeTinyGguf(model, { seed: 4 });
  modelRef = `file:${model}`;
  sshd = await startSshd();
  queen = await startQueen({ env: { RBEE_NODE_HOME: nodeHome(), RBEE_WORKER_THREADS: "1" } });
  const added = await post("/v2/registry/beehives/add", {
    node_name: NODE,
    ssh_host: sshd.host,
    ssh_port: sshd.port,
    ssh_user: sshd.user,
    ssh_key_path: sshd.keyPath,
    git_repo_url: makeProjectRepo(join(dir, "repo")),
    install_path: join(dir, "node", "rbee"),
  });
  if (added.status !== 201) throw new Error(`add failed: ${await added.text()}`);
  const install = await readSseJson(await post("/v2/registry/beehives/install", { node_name: NODE }));
  if (install.events.some((event) => (event as { type: string }).type === "error")) throw new Error(JSON.stringify(install.events));
  workerId = await spawn();
});

test.afterAll(async () => {
  await queen?.stop();
  await sshd?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

guardPages(test);

test("the Logs panel of a worker follows its output: an inference's line appears without a reload", async ({ page }) => {
  await openUi(page, queen);
  await page.getByRole("link", { name: /Workers/ }).click();
  const row = page.getByTestId(`worker-row-${workerId}`);
  await row.getByRole("button", { name: `Logs of worker ${workerId}` }).click();

  const panel = page.getByTestId("logs-panel");
  await expect(panel.getByRole("heading", { name: `Log of worker ${workerId}` })).toBeVisible();
  await expect(panel.getByText("Live")).toBeVisible();
  const lines = panel.getByTestId("log-lines");
  await expect(lines).toContainText(`loaded ${modelRef} on cpu`);
  await expect(lines).toHaveCSS("font-family", /mono/i);

  // An inference from elsewhere (a script): its job line arrives while the panel is open.
  const infer = async (): Promise<string> => {
    const answer = await readSseJson(await post("/v1/inference", { model: modelRef, node: NODE, prompt: "hi", max_tokens: 3, seed: 2 }));
    return (answer.events.find((event) => (event as { type: string }).type === "started") as { job_id: string }).job_id;
  };
  const jobLine = (jobId: string) => lines.getByTestId("log-line").filter({ hasText: `job ${jobId} max_tokens` });
  const first = await infer();
  await expect(jobLine(first)).toBeVisible();
  await page.screenshot({ path: `${ARTIFACTS}/logs-panel.png` });

  // More jobs until the lines overflow the panel: the newest stays scrolled into view.
  let last = first;
  for (let i = 0; i < 80 && !(await lines.evaluate((element) => element.scrollHeight > element.clientHeight + 40)); i += 1) {
    last = await infer();
    await expect(jobLine(last)).toBeAttached();
  }
  await expect(jobLine(last)).toBeInViewport();

  // Scrolling up to read pauses the following, and says so; a new line does not pull the view down.
  await lines.evaluate((element) => {
    element.scrollTop = 0;
    element.dispatchEvent(new Event("scroll"));
  });
  const jump = panel.getByRole("button", { name: /Jump to latest/ });
  await expect(jump).toBeVisible();
  const whileReading = await infer();
  await expect(jobLine(whileReading)).toBeAttached();
  await expect(jobLine(whileReading)).not.toBeInViewport();
  await jump.click();
  await expect(jump).toBeHidden();
  await expect(jobLine(whileReading)).toBeInViewport();
  await panel.getByRole("button", { name: "Close" }).click();
  await expect(panel).toBeHidden();

  // The node's row opens its hive log.
  await page.getByRole("link", { name: /Nodes/ }).click();
  await page.getByTestId(`node-row-${NODE}`).getByRole("button", { name: `Logs of node ${NODE}` }).click();
  await expect(page.getByTestId("logs-panel").getByTestId("log-lines")).toContainText(`worker ${workerId} is ready`);
});

test("a worker killed with -9 shows why it died, its last lines and its log, until dismissed", async ({ page }) => {
  await openUi(page, queen);
  await page.getByRole("link", { name: /Workers/ }).click();
  await expect(page.getByTestId(`worker-row-${workerId}`)).toBeVisible();
  process.kill(await workerPid(workerId), "SIGKILL");

  const notice = page.getByTestId(`worker-exit-${workerId}`);
  await expect(notice.getByTestId("exit-reason")).toHaveText("was killed by SIGKILL while running");
  await expect(notice.getByLabel("Its last lines")).toContainText(`loaded ${modelRef} on cpu`);
  await expect(page.getByTestId(`worker-row-${workerId}`)).toBeHidden();
  await page.screenshot({ path: `${ARTIFACTS}/worker-exit.png` });

  // Its kept log opens from the notice, with the exit as its last line.
  await notice.getByRole("button", { name: "Open its log" }).click();
  const panel = page.getByTestId("logs-panel");
  await expect(panel.getByTestId("log-line").last()).toContainText("hive worker was killed by SIGKILL");
  await expect(panel.getByText("The worker has stopped")).toBeVisible();
  await panel.getByRole("button", { name: "Close" }).click();

  // It stays after a reload, until dismissed.
  await page.reload();
  await expect(page.getByTestId(`worker-exit-${workerId}`)).toBeVisible();
  await page.getByRole("button", { name: `Dismiss ${workerId}` }).click();
  await expect(page.getByTestId(`worker-exit-${workerId}`)).toBeHidden();
});
