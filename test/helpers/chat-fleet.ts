// A real queen, a real loopback sshd and one installed node ("box") running two workers on generated
// chat models: the fixture of the client API tests (one install for a whole file).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EndEvent } from "../../src/shared/contract/index.js";
import { addInstalledNode, postJson, spawnWorker } from "./installed-node.js";
import { startQueen, type QueenProcess } from "./queen-process.js";
import { readStreamEvents, streamText } from "./sse.js";
import { startSshd, type Sshd } from "./sshd.js";
import { CHATML_TEMPLATE, writeTinyGguf } from "./tiny-gguf.js";

export interface ChatFleet {
  readonly dir: string;
  readonly sshd: Sshd;
  readonly queen: QueenProcess;
  /** Printable answers (stop sequences can be picked from them). */
  readonly chatModel: string;
  /** Never samples end-of-sequence: a long answer holds its slot until cancelled. */
  readonly endlessModel: string;
  readonly stop: () => Promise<void>;
}

/** Starts the fleet; `prefix` names its temporary folder. */
export async function startChatFleet(prefix: string): Promise<ChatFleet> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  await writeTinyGguf(join(dir, "chat.gguf"), { seed: 7, chatTemplate: CHATML_TEMPLATE, text: "printable" });
  await writeTinyGguf(join(dir, "endless.gguf"), { seed: 9, eos: "never", chatTemplate: CHATML_TEMPLATE });
  const chatModel = `file:${join(dir, "chat.gguf")}`;
  const endlessModel = `file:${join(dir, "endless.gguf")}`;
  const sshd = await startSshd();
  const queen = await startQueen({ env: { RBEE_NODE_HOME: join(dir, "node", "home"), RBEE_WORKER_THREADS: "1" } });
  const stop = async (): Promise<void> => {
    await queen.stop();
    await sshd.dispose();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await addInstalledNode(queen, sshd, "box", join(dir, "node"));
    await Promise.all([
      spawnWorker(queen, { node_name: "box", model_ref: chatModel, slots: 1 }),
      spawnWorker(queen, { node_name: "box", model_ref: endlessModel, slots: 1 }),
    ]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { dir, sshd, queen, chatModel, endlessModel, stop };
}

/** The same request through `/v1/inference`: its text and its `end` event. */
export async function inferenceAnswer(queen: QueenProcess, body: Record<string, unknown>): Promise<{ text: string; end: EndEvent }> {
  const { events } = await readStreamEvents(await postJson(queen, "/v1/inference", body));
  const end = events.find((event): event is EndEvent => event.type === "end");
  if (!end) throw new Error(`no end event: ${JSON.stringify(events.at(-1))}`);
  return { text: streamText(events), end };
}
