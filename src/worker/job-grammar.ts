import type { LlamaGrammar, LlamaGrammarEvaluationState, LlamaModel } from "node-llama-cpp";
import { RbeeError, type Grammar } from "../shared/contract/index.js";
import { resolveTrigger } from "./chat-template.js";

/** What one job generates under: a fresh grammar state, and the texts that end the value. */
export type JobGrammar = {
  readonly evaluationState: LlamaGrammarEvaluationState;
  /**
   * The grammar's own end: node-llama-cpp's JSON grammars let the model write newlines after the
   * value and stop on a run of them, which is not part of the answer.
   */
  readonly endTexts: readonly string[];
};

/** How many compiled grammars a worker keeps (a client tends to send the same schema again). */
const CACHED_GRAMMARS = 32;

function describe(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}

/**
 * Builds llama.cpp grammars for jobs with node-llama-cpp (its JSON grammar, or one made from a
 * JSON schema) and keeps the most recent ones. A schema it cannot turn into a grammar is
 * INVALID_REQUEST naming `grammar.schema`.
 */
export class GrammarCache {
  private readonly grammars = new Map<string, LlamaGrammar>();

  constructor(private readonly model: LlamaModel) {}

  async forJob(spec: Grammar): Promise<JobGrammar> {
    const grammar = await this.grammar(spec);
    const { LlamaGrammarEvaluationState } = await import("node-llama-cpp");
    const endTexts = grammar.stopGenerationTriggers
      .map((trigger) => (typeof trigger === "string" ? [trigger] : Array.isArray(trigger) ? trigger : resolveTrigger(trigger as never, this.model)))
      .filter((parts) => parts.every((part) => typeof part === "string"))
      .map((parts) => parts.join(""))
      .filter((text) => text !== "");
    return { evaluationState: new LlamaGrammarEvaluationState({ model: this.model, grammar }), endTexts };
  }

  // node-llama-cpp's integer rule allows an exponent ("5e-3", "1e999"), which JSON reads as a
  // fraction or Infinity: its rule is rewritten to plain digits, so that an integer is one.
  private async schemaGrammar(schema: Record<string, unknown>): Promise<LlamaGrammar> {
    const generated = await this.model.llama.createGrammarForJsonSchema(schema as never);
    const text = generated.grammar.replace(/^(integer-number-rule ::= .*?)\s*\(\[eE\].*$/m, "$1");
    if (text === generated.grammar) return generated;
    return this.model.llama.createGrammar({
      grammar: text,
      stopGenerationTriggers: generated.stopGenerationTriggers,
      trimWhitespaceSuffix: generated.trimWhitespaceSuffix,
    });
  }

  private async grammar(spec: Grammar): Promise<LlamaGrammar> {
    const key = JSON.stringify(spec);
    const known = this.grammars.get(key);
    if (known) {
      this.grammars.delete(key);
      this.grammars.set(key, known);
      return known;
    }
    let grammar: LlamaGrammar;
    try {
      grammar = spec.type === "json" ? await this.model.llama.getGrammarFor("json") : await this.schemaGrammar(spec.schema);
    } catch (error) {
      throw new RbeeError("INVALID_REQUEST", `No grammar can be made from this JSON schema: ${describe(error)}`, [
        { field: "grammar.schema", message: describe(error) },
      ]);
    }
    this.grammars.set(key, grammar);
    if (this.grammars.size > CACHED_GRAMMARS) this.grammars.delete(this.grammars.keys().next().value!);
    return grammar;
  }
}
