import { z } from "zod";
import { toGrammarDialect, type Grammar } from "../../shared/contract/index.js";
import { assertEnforceableSchema } from "./json-schema-check.js";

/** OpenAI's `response_format`: plain text, any JSON object, or JSON matching a schema. */
export const ResponseFormat = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("text") }),
  z.looseObject({ type: z.literal("json_object") }),
  z.looseObject({
    type: z.literal("json_schema"),
    json_schema: z.looseObject({
      name: z.string().min(1).max(64),
      description: z.string().nullish(),
      /** Absent means any JSON object, as OpenAI reads it. */
      schema: z.record(z.string(), z.unknown()).nullish(),
      strict: z.boolean().nullish(),
    }),
  }),
]);
export type ResponseFormat = z.infer<typeof ResponseFormat>;

/** The grammar a response format asks for; undefined for text. Refuses a schema the grammar cannot enforce. */
export function grammarOfResponseFormat(format: ResponseFormat | null | undefined): Grammar | undefined {
  if (!format || format.type === "text") return undefined;
  if (format.type === "json_object" || !format.json_schema.schema) return { type: "json" };
  assertEnforceableSchema(format.json_schema.schema, "response_format.json_schema.schema");
  return { type: "json_schema", schema: toGrammarDialect(format.json_schema.schema) as Record<string, unknown> };
}

/** A line for the system prompt, so that the model knows what shape the grammar will hold it to. */
export function responseFormatHint(format: ResponseFormat | null | undefined): string | undefined {
  if (!format || format.type === "text") return undefined;
  if (format.type === "json_object" || !format.json_schema.schema) return "Answer with a JSON object.";
  return `Answer with JSON that matches this JSON schema: ${JSON.stringify(format.json_schema.schema)}`;
}
