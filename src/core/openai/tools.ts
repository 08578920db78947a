import { z } from "zod";
import { RbeeError, toGrammarDialect, type Grammar } from "../../shared/contract/index.js";
import { assertEnforceableSchema } from "./json-schema-check.js";

/** One function a client offers the model (`tools[]` with `type: "function"`). */
export const OpenAiTool = z.looseObject({
  type: z.literal("function"),
  function: z.looseObject({
    name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "letters, digits, '_' or '-', at most 64"),
    description: z.string().max(10_000).nullish(),
    /** A JSON schema of the arguments object; absent means no arguments. */
    parameters: z.record(z.string(), z.unknown()).nullish(),
    strict: z.boolean().nullish(),
  }),
});
export type OpenAiTool = z.infer<typeof OpenAiTool>;

export const ToolChoice = z.union([
  z.enum(["none", "auto", "required"]),
  z.looseObject({ type: z.literal("function"), function: z.looseObject({ name: z.string().min(1) }) }),
]);
export type ToolChoice = z.infer<typeof ToolChoice>;

/**
 * How a chat answer is made: as text (no tools, `tool_choice` "none", and also "auto", where rbee
 * answers in text); or as a call of one named function, whose arguments the grammar holds to its
 * schema; or (`"required"`) as a call of any of the functions, the grammar holding the answer to
 * `{"name": <one of them>, "arguments": <that function's schema>}`.
 */
export type ToolPlan =
  | { readonly kind: "text" }
  | { readonly kind: "function"; readonly name: string; readonly grammar: Grammar; readonly hint: string }
  | { readonly kind: "any"; readonly names: readonly string[]; readonly grammar: Grammar; readonly hint: string };

const NO_ARGUMENTS = { type: "object", properties: {} };

function parametersOf(tool: OpenAiTool, index: number): Record<string, unknown> {
  const parameters = tool.function.parameters ?? NO_ARGUMENTS;
  assertEnforceableSchema(parameters, `tools.${index}.function.parameters`);
  return toGrammarDialect(parameters) as Record<string, unknown>;
}

function describeTool(tool: OpenAiTool): string {
  const about = tool.function.description ? ` (${tool.function.description})` : "";
  return `${tool.function.name}${about}, arguments: ${JSON.stringify(tool.function.parameters ?? NO_ARGUMENTS)}`;
}

function refuse(field: string, message: string): RbeeError {
  return new RbeeError("INVALID_REQUEST", `Invalid request (${field}: ${message})`, [{ field, message }]);
}

/** The plan for a request's `tools` and `tool_choice`; INVALID_REQUEST for a choice naming no offered function. */
export function toolPlan(tools: readonly OpenAiTool[] | null | undefined, choice: ToolChoice | null | undefined): ToolPlan {
  const offered = tools ?? [];
  const names = new Set<string>();
  offered.forEach((tool, index) => {
    if (names.has(tool.function.name)) throw refuse(`tools.${index}.function.name`, `"${tool.function.name}" is offered twice`);
    names.add(tool.function.name);
  });
  if (choice === null || choice === undefined || choice === "none" || choice === "auto") return { kind: "text" };
  if (offered.length === 0) throw refuse("tool_choice", "no tools are offered to choose from");
  if (typeof choice === "object") {
    const index = offered.findIndex((tool) => tool.function.name === choice.function.name);
    const tool = offered[index];
    if (!tool) throw refuse("tool_choice.function.name", `"${choice.function.name}" is not among the tools`);
    return {
      kind: "function",
      name: tool.function.name,
      grammar: { type: "json_schema", schema: parametersOf(tool, index) },
      hint: `Call the function ${describeTool(tool)}. Answer with its arguments as one JSON object.`,
    };
  }
  const branches = offered.map((tool, index) => ({
    type: "object",
    properties: { name: { const: tool.function.name }, arguments: parametersOf(tool, index) },
  }));
  return {
    kind: "any",
    names: [...names],
    grammar: { type: "json_schema", schema: branches.length === 1 ? branches[0]! : { oneOf: branches } },
    hint: `Call one of these functions:\n${offered.map((tool) => `- ${describeTool(tool)}`).join("\n")}\nAnswer with one JSON object {"name": <the function>, "arguments": <its arguments>}.`,
  };
}
