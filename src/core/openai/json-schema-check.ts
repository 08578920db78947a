import { grammarSchemaProblems, MAX_GRAMMAR_SCHEMA_CHARS, RbeeError } from "../../shared/contract/index.js";

/**
 * Refuses, with INVALID_REQUEST naming `field`, a JSON schema the grammar cannot enforce whole (a
 * keyword it would ignore, a reference it cannot follow) or one too large; so that an answer made
 * under it always validates against the schema as given.
 */
export function assertEnforceableSchema(schema: unknown, field: string): void {
  const size = JSON.stringify(schema)?.length ?? 0;
  if (size > MAX_GRAMMAR_SCHEMA_CHARS) {
    const message = `the schema is ${size} characters as JSON; at most ${MAX_GRAMMAR_SCHEMA_CHARS}`;
    throw new RbeeError("INVALID_REQUEST", `Invalid request (${field}: ${message})`, [{ field, message }]);
  }
  const problems = grammarSchemaProblems(schema);
  const first = problems[0];
  if (!first) return;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : "";
  const message = `${first.path}: ${first.message}${more}`;
  throw new RbeeError("INVALID_REQUEST", `Invalid request (${field}: rbee cannot enforce this JSON schema with a grammar: ${message})`, [
    { field, message },
  ]);
}
