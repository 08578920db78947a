// Timed reads of the streamed answers of each client API on the queen: when each piece of text
// arrived, in ms after the request was sent. One parser per API, each as that API's clients read it.
import { performance } from "node:perf_hooks";
import { sseMessages } from "../../src/shared/sse.js";

/** The client APIs whose streams the benchmark reads, and rbee's own. */
export type ClientApi = "rbee" | "openai" | "anthropic" | "ollama";

/** Arrival times (ms after the request was sent) of the pieces of an answer that carried text. */
export interface TextArrivals {
  readonly times: readonly number[];
  readonly text: string;
}

/** The text a message of `api`'s stream carries ("" for none); throws on the API's own error message. */
function textOf(api: ClientApi, event: string, payload: Record<string, unknown>): string {
  if (api === "anthropic" && event === "error") throw new Error(`anthropic stream error: ${JSON.stringify(payload)}`);
  if ("error" in payload && api !== "rbee") throw new Error(`${api} stream error: ${JSON.stringify(payload.error)}`);
  switch (api) {
    case "rbee":
      if (payload.type === "error") throw new Error(`rbee stream error: ${JSON.stringify(payload)}`);
      return payload.type === "token" ? String(payload.t) : "";
    case "openai":
      return String((payload.choices as { delta?: { content?: string } }[] | undefined)?.[0]?.delta?.content ?? "");
    case "anthropic":
      return payload.type === "content_block_delta" ? String((payload.delta as { text?: string }).text ?? "") : "";
    case "ollama":
      return String((payload.message as { content?: string } | undefined)?.content ?? "");
  }
}

/** Each line of an NDJSON body as it arrives. */
async function* ndjsonLines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let buffer = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    const lines = buffer.split("\n");
    buffer = lines.pop() ?? "";
    yield* lines.filter((line) => line !== "");
  }
  if (buffer.trim() !== "") yield buffer;
}

/** POSTs `body` to `url` with the queen token and times the text of the streamed answer. */
export async function timeClientStream(api: ClientApi, url: string, token: string, body: unknown): Promise<TextArrivals> {
  const sent = performance.now();
  const response = await fetch(url, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok || !response.body) throw new Error(`${api}: HTTP ${response.status} ${(await response.text()).slice(0, 300)}`);
  const times: number[] = [];
  let text = "";
  const take = (event: string, data: string): void => {
    const piece = textOf(api, event, JSON.parse(data) as Record<string, unknown>);
    if (piece === "") return;
    times.push(performance.now() - sent);
    text += piece;
  };
  if (api === "ollama") {
    for await (const line of ndjsonLines(response.body)) take("", line);
  } else {
    for await (const message of sseMessages(response.body)) if (message.data !== "[DONE]") take(message.event, message.data);
  }
  return { times, text };
}
