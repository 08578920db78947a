import { performance } from "node:perf_hooks";
import type { LlamaContextSequence, Token } from "node-llama-cpp";
import type { EndEvent, StopReason, TokenEvent } from "../shared/contract/index.js";
import { NO_END_OF_TURN, type EndOfTurn } from "./chat-template.js";
import type { JobGrammar } from "./job-grammar.js";
import { reusePrefix } from "./prefix-cache.js";
import { StopDetector } from "./stop-detector.js";
import { TokenTextDecoder, type TextDetokenizer } from "./token-text-decoder.js";

/** Sampling settings of one job, resolved (seed and temperature always set). */
export type Sampling = {
  readonly maxTokens: number;
  readonly temperature: number;
  readonly topP: number | undefined;
  readonly seed: number;
  readonly stop: readonly string[];
};

/** One completion of a prompt or of a rendered conversation, to run on one context sequence. */
export type GenerationJob = {
  readonly sequence: LlamaContextSequence;
  readonly detokenizer: TextDetokenizer;
  readonly promptTokens: readonly Token[];
  readonly sampling: Sampling;
  /** The chat template's end-of-turn triggers; none for a raw completion. */
  readonly endOfTurn?: EndOfTurn;
  /** Keep what the slot holds of the prompt's beginning (default true); false evaluates it all again. */
  readonly cachePrompt?: boolean;
  /**
   * Constrains every token to the grammar. The answer then ends where the grammar ends (`eos`):
   * the chat template's end-of-turn texts give way to the grammar's own end.
   */
  readonly grammar?: JobGrammar;
  readonly signal: AbortSignal;
  /** When the job was accepted (performance.now()): ttft and decode time count from here. */
  readonly startedAt: number;
};

function elapsed(since: number): number {
  return Math.round((performance.now() - since) * 100) / 100;
}

/**
 * Runs a completion of the prompt tokens and reports one token event per generated token, then
 * answers the `end` event. Stops on max_tokens, the model's end-of-generation token or the chat
 * template's end of turn (`eos`), a stop string (`stop`; neither is shown) or the abort signal
 * (`cancelled`). Text held back because it might begin a stop string or an end of turn, or ends
 * inside a character, is released with a later token: at the last token for max_tokens, or in one
 * extra token event when the model ends the generation itself.
 *
 * Only the prompt tokens after the beginning the slot already holds are evaluated (`tokens_cached`
 * counts the others). A slot that fills up drops its oldest tokens (all but BOS) to make room,
 * rather than fail. A generation that fails leaves its slot empty.
 */
export async function runGeneration(job: GenerationJob, onToken: (event: TokenEvent) => void): Promise<EndEvent> {
  const { sequence, sampling, signal } = job;
  const endOfTurn = job.grammar ? { texts: job.grammar.endTexts, marks: new Map() } : (job.endOfTurn ?? NO_END_OF_TURN);
  const decoder = new TokenTextDecoder(job.detokenizer, job.promptTokens);
  const stops = new StopDetector([...sampling.stop, ...endOfTurn.texts]);
  const endsTurn = new Set(endOfTurn.texts);
  const marks = new Set(endOfTurn.marks.values());
  // A special token of an end-of-turn trigger enters the text as its mark; a mark that did not
  // complete a trigger is not shown.
  const piece = (token: Token): string => {
    const mark = endOfTurn.marks.get(token);
    return mark === undefined ? decoder.push(token) : decoder.flush() + mark;
  };
  const unmarked = (text: string): string => (marks.size === 0 ? text : [...text].filter((char) => !marks.has(char)).join(""));
  const stopReason = (): StopReason => (endsTurn.has(stops.matched ?? "") ? "eos" : "stop");
  let index = 0;
  let firstTokenAt: number | undefined;

  const emit = (text: string): void => {
    firstTokenAt ??= elapsed(job.startedAt);
    onToken({ type: "token", t: unmarked(text), i: index });
    index += 1;
  };

  // Reads the tokens the sequence generates after `input` until the job ends; answers why it ended.
  const generate = async (input: readonly Token[]): Promise<StopReason> => {
    const tokens = sequence.evaluate([...input], {
      temperature: sampling.temperature,
      seed: sampling.seed,
      ...(sampling.topP !== undefined ? { topP: sampling.topP } : {}),
      ...(job.grammar ? { grammarEvaluationState: job.grammar.evaluationState } : {}),
      // node-llama-cpp's own default, spelled out: when the slot is full it erases its oldest
      // tokens but BOS (min(100, half the context) at a time) and shifts the rest in place,
      // evaluating nothing again, so that a long answer goes on instead of failing.
      contextShift: { strategy: "eraseBeginning" },
    });
    for await (const token of tokens) {
      if (signal.aborted) return "cancelled";
      const last = index + 1 >= sampling.maxTokens;
      let text = stops.push(piece(token));
      if (last && !stops.stopped) {
        text += stops.push(decoder.flush());
        text += stops.flush();
      }
      emit(text);
      if (stops.stopped) return stopReason();
      if (last) return "max_tokens";
    }
    // The model ended the generation itself (or was cancelled while producing its last token).
    if (signal.aborted) return "cancelled";
    let rest = stops.push(decoder.flush());
    const ended = stops.stopped ? stopReason() : "eos";
    if (!stops.stopped) rest += stops.flush();
    if (rest !== "") emit(rest);
    return ended;
  };

  let cached = 0;
  let reason: StopReason = "cancelled";
  if (!signal.aborted) {
    try {
      const reuse = await reusePrefix(sequence, job.promptTokens, job.cachePrompt ?? true);
      cached = reuse.cached;
      reason = await generate(reuse.rest);
    } catch (error) {
      // What llama.cpp holds after a failed evaluation is not known: the next job starts clean.
      await sequence.clearHistory().catch(() => undefined);
      throw error;
    }
  }

  const decodeMs = elapsed(job.startedAt);
  return {
    type: "end",
    tokens_in: job.promptTokens.length,
    tokens_cached: cached,
    tokens_out: index,
    decode_ms: decodeMs,
    ttft_ms: firstTokenAt ?? decodeMs,
    stop_reason: reason,
    ...(reason === "stop" && stops.matched !== undefined ? { stop_sequence: stops.matched } : {}),
  };
}
