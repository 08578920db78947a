import { z } from "zod";

/** Largest JSON schema a grammar may be built from, as JSON text. */
export const MAX_GRAMMAR_SCHEMA_CHARS = 65_536;
/** Deepest nesting of subschemas. */
const MAX_SCHEMA_DEPTH = 32;

/** Keywords that only describe: allowed anywhere, with no effect on the grammar. */
const ANNOTATIONS = new Set(["title", "description", "default", "examples", "$comment", "$schema", "$id", "deprecated", "readOnly", "writeOnly"]);
/** Keywords node-llama-cpp's JSON schema grammar enforces (anyOf: read as its oneOf, one branch generated). */
const ENFORCED = new Set([
  "type", "const", "enum", "oneOf", "anyOf", "properties", "required", "additionalProperties", "minProperties", "maxProperties",
  "items", "prefixItems", "minItems", "maxItems", "minLength", "maxLength", "format", "$ref", "$defs",
]);
const TYPES = new Set(["string", "number", "integer", "boolean", "null", "object", "array"]);
const SCALAR_TYPES = new Set(["string", "number", "integer", "boolean", "null"]);
const FORMATS = new Set(["date-time", "time", "date"]);

/** One place where a schema asks for something the grammar cannot enforce. */
export type SchemaProblem = { readonly path: string; readonly message: string };

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
const isCount = (value: unknown): boolean => Number.isInteger(value) && (value as number) >= 0;

/**
 * Checks that a JSON schema uses only what the grammar enforces, so that every answer generated
 * under it validates against the schema itself: a keyword it would ignore (`pattern`, `minimum`,
 * `allOf`, …) is a problem rather than a silent gap. `required` must name declared properties (the
 * grammar writes every declared property). Answers the problems, with JSON-pointer-like paths.
 */
export function grammarSchemaProblems(schema: unknown): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const defs = isObject(schema) && isObject(schema.$defs) ? schema.$defs : {};
  const walk = (node: unknown, path: string, depth: number): void => {
    const at = path === "" ? "(schema)" : path;
    if (depth > MAX_SCHEMA_DEPTH) return void problems.push({ path: at, message: `nested deeper than ${MAX_SCHEMA_DEPTH} levels` });
    if (!isObject(node)) return void problems.push({ path: at, message: "a subschema must be an object" });
    for (const key of Object.keys(node)) {
      if (!ENFORCED.has(key) && !ANNOTATIONS.has(key)) problems.push({ path: `${path}/${key}`, message: `"${key}" cannot be enforced by the grammar` });
    }
    const { type } = node;
    if (type !== undefined) {
      const types = Array.isArray(type) ? type : [type];
      if (types.length === 0 || !types.every((entry) => typeof entry === "string" && TYPES.has(entry))) {
        problems.push({ path: `${path}/type`, message: "use string, number, integer, boolean, null, object or array" });
      } else if (types.length > 1 && !types.every((entry) => SCALAR_TYPES.has(entry as string))) {
        problems.push({ path: `${path}/type`, message: "a list of types may hold only string, number, integer, boolean and null" });
      }
    }
    if ("enum" in node && (!Array.isArray(node.enum) || node.enum.length === 0 || !node.enum.every((v) => v === null || ["string", "number", "boolean"].includes(typeof v)))) {
      problems.push({ path: `${path}/enum`, message: "a non-empty list of strings, numbers, booleans or null" });
    }
    if ("const" in node && !(node.const === null || ["string", "number", "boolean"].includes(typeof node.const))) {
      problems.push({ path: `${path}/const`, message: "a string, number, boolean or null" });
    }
    if (node.format !== undefined && !FORMATS.has(node.format as string)) problems.push({ path: `${path}/format`, message: "only date-time, time or date" });
    for (const key of ["minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"]) {
      if (node[key] !== undefined && !isCount(node[key])) problems.push({ path: `${path}/${key}`, message: "a whole number ≥ 0" });
    }
    for (const key of ["oneOf", "anyOf"]) {
      const branches = node[key];
      if (branches === undefined) continue;
      if (!Array.isArray(branches) || branches.length === 0) problems.push({ path: `${path}/${key}`, message: "a non-empty list of schemas" });
      else branches.forEach((branch, index) => walk(branch, `${path}/${key}/${index}`, depth + 1));
    }
    if (node.properties !== undefined) {
      if (!isObject(node.properties)) problems.push({ path: `${path}/properties`, message: "an object of schemas" });
      else for (const [name, sub] of Object.entries(node.properties)) walk(sub, `${path}/properties/${name}`, depth + 1);
    }
    if (node.required !== undefined) {
      const declared = isObject(node.properties) ? node.properties : {};
      if (!Array.isArray(node.required) || !node.required.every((name) => typeof name === "string")) {
        problems.push({ path: `${path}/required`, message: "a list of property names" });
      } else {
        for (const name of node.required) if (!(name in declared)) problems.push({ path: `${path}/required`, message: `"${name}" is required but not among the properties` });
      }
    }
    const extra = node.additionalProperties;
    if (extra !== undefined && typeof extra !== "boolean") walk(extra, `${path}/additionalProperties`, depth + 1);
    if (node.items !== undefined) walk(node.items, `${path}/items`, depth + 1);
    if (node.prefixItems !== undefined) {
      if (!Array.isArray(node.prefixItems)) problems.push({ path: `${path}/prefixItems`, message: "a list of schemas" });
      else node.prefixItems.forEach((item, index) => walk(item, `${path}/prefixItems/${index}`, depth + 1));
    }
    if (node.$ref !== undefined) {
      const name = typeof node.$ref === "string" && node.$ref.startsWith("#/$defs/") ? node.$ref.slice("#/$defs/".length) : undefined;
      if (name === undefined || !(name in defs)) problems.push({ path: `${path}/$ref`, message: "only references to #/$defs/<name> of the root schema" });
    }
    if (node.$defs !== undefined) {
      if (path !== "") problems.push({ path: `${path}/$defs`, message: "$defs only at the root" });
      else if (!isObject(node.$defs)) problems.push({ path: "/$defs", message: "an object of schemas" });
      else for (const [name, sub] of Object.entries(node.$defs)) walk(sub, `/$defs/${name}`, depth + 1);
    }
  };
  walk(schema, "", 0);
  return problems;
}

/**
 * Rewrites a checked schema into node-llama-cpp's dialect: `anyOf` becomes its `oneOf` (it
 * generates one branch, which satisfies either). Everything else is the same.
 */
export function toGrammarDialect(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toGrammarDialect);
  if (!isObject(schema)) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === "enum" || key === "const" || key === "required" || key === "type" || ANNOTATIONS.has(key)) out[key] = value;
    else if (key === "properties" || key === "$defs") out[key] = Object.fromEntries(Object.entries(value as object).map(([name, sub]) => [name, toGrammarDialect(sub)]));
    else out[key === "anyOf" ? "oneOf" : key] = toGrammarDialect(value);
  }
  return out;
}

const JsonSchemaObject = z.record(z.string(), z.unknown()).superRefine((schema, context) => {
  const size = JSON.stringify(schema).length;
  if (size > MAX_GRAMMAR_SCHEMA_CHARS) {
    context.addIssue({ code: "custom", message: `the schema is ${size} characters as JSON; at most ${MAX_GRAMMAR_SCHEMA_CHARS}` });
    return;
  }
  const [first, ...rest] = grammarSchemaProblems(schema);
  if (first) context.addIssue({ code: "custom", message: `${first.path}: ${first.message}${rest.length > 0 ? ` (and ${rest.length} more)` : ""}` });
});

/**
 * A constraint on what a job may generate: any JSON value (`json`), or JSON that matches a schema
 * (`json_schema`, in the dialect of `toGrammarDialect`). The worker turns it into a llama.cpp
 * grammar, so every generated token keeps the text a valid beginning of such JSON.
 */
export const Grammar = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("json") }),
  z.strictObject({ type: z.literal("json_schema"), schema: JsonSchemaObject }),
]);
export type Grammar = z.infer<typeof Grammar>;
