import { z } from "zod";
import { API, ErrorBody, NoContent, RBEE_VERSION, type ApiEntry } from "../../shared/contract/index.js";
import { HTTP_ONLY_ROUTES, type HttpOnlyRoute } from "./http-only-routes.js";

type JsonObject = Record<string, unknown>;

/** JSON Schema (2020-12, as OpenAPI 3.1 uses) of a zod schema, as a request sends or an answer carries it. */
function jsonSchema(schema: z.ZodType, io: "input" | "output"): JsonObject {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: "draft-2020-12", io, unrepresentable: "any" }) as JsonObject;
  return rest;
}

function parameters(schema: z.ZodObject | undefined, where: "path" | "query"): JsonObject[] {
  if (!schema) return [];
  return Object.entries(schema.shape).map(([name, field]) => ({
    name,
    in: where,
    required: where === "path" || !(field as z.ZodType).safeParse(undefined).success,
    schema: jsonSchema(field as z.ZodType, "input"),
  }));
}

const ERROR_RESPONSE = {
  description: "An error: `{error: {code, message, details?}}` (the OpenAI routes answer OpenAI's error shape)",
  content: { "application/json": { schema: jsonSchema(ErrorBody, "output") } },
};

function jsonBody(schema: z.ZodType): JsonObject {
  return { required: true, content: { "application/json": { schema: jsonSchema(schema, "input") } } };
}

function eventStream(events: z.ZodType, what: string): JsonObject {
  return {
    description: `${what}: Server-Sent Events, one JSON object (this schema) per \`data:\` line, ending with \`data: [DONE]\``,
    content: { "text/event-stream": { schema: jsonSchema(events, "output") } },
  };
}

function tableOperation(method: string, entry: ApiEntry): JsonObject {
  const operation: JsonObject = { operationId: method, summary: entry.summary, tags: [tagOf(entry.path)] };
  const responses: JsonObject = { default: ERROR_RESPONSE };
  switch (entry.kind) {
    case "call": {
      operation.parameters = [...parameters(entry.params, "path"), ...parameters(entry.query, "query")];
      if (entry.body) operation.requestBody = jsonBody(entry.body);
      if (entry.answer === NoContent) responses["204"] = { description: "Done" };
      else responses[String(entry.status ?? 200)] = { description: "OK", content: { "application/json": { schema: jsonSchema(entry.answer, "output") } } };
      if (entry.follow) {
        responses["200"] = {
          description:
            "OK: JSON as this schema; with `follow=true` instead Server-Sent Events, one JSON object (the text/event-stream schema) per `data:` line, ending with `data: [DONE]`",
          content: {
            "application/json": { schema: jsonSchema(entry.answer, "output") },
            "text/event-stream": { schema: jsonSchema(entry.follow, "output") },
          },
        };
      }
      if (entry.auth === "none") operation.security = [];
      break;
    }
    case "stream":
      operation.parameters = parameters(entry.query, "query");
      operation.requestBody = jsonBody(entry.body);
      responses["200"] = eventStream(entry.events, "The work's events");
      break;
    case "subscription":
      operation.parameters = parameters(entry.query, "query");
      responses["200"] = eventStream(entry.events, "State snapshots, then one per change");
      break;
  }
  operation.responses = responses;
  return operation;
}

function tagOf(path: string): string {
  if (path.startsWith("/v2/registry")) return "nodes";
  if (path.startsWith("/v1/workers")) return "workers";
  if (path.startsWith("/v1/inference")) return "inference";
  return "queen";
}

const WORKER_AUTH =
  "The queen token. On the callback listener (what each node's callback tunnel leads to; it serves these routes only) " +
  "also the per-spawn token of the worker the body names, or the node token of that worker's node " +
  "(403 FORBIDDEN for another node's worker, or for one being spawned).";

function httpOnlyOperation(name: string, route: HttpOnlyRoute): JsonObject {
  const params = [...route.path.matchAll(/\{([a-z_]+)\}/g)].map(([, param]) => ({ name: param, in: "path", required: true, schema: { type: "string" } }));
  return {
    operationId: name,
    summary: route.summary,
    tags: [route.tag],
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(route.body ? { requestBody: jsonBody(route.body) } : {}),
    ...(route.auth === "worker" ? { security: [{ bearer: [] }], description: WORKER_AUTH } : {}),
    responses: {
      [String(route.status ?? 200)]: { description: "OK", content: { [route.contentType ?? "application/json"]: { schema: jsonSchema(route.answer, "output") } } },
      default: ERROR_RESPONSE,
    },
  };
}

/** The queen's OpenAPI 3.1 document, generated from the API table and the HTTP-only routes. */
export function openApiDocument(): JsonObject {
  const paths: Record<string, JsonObject> = {};
  const add = (path: string, verb: string, operation: JsonObject): void => {
    paths[path] = { ...paths[path], [verb.toLowerCase()]: operation };
  };
  for (const [method, entry] of Object.entries(API) as [string, ApiEntry][]) add(entry.path, entry.verb, tableOperation(method, entry));
  for (const [name, route] of Object.entries(HTTP_ONLY_ROUTES) as [string, HttpOnlyRoute][]) add(route.path, route.verb, httpOnlyOperation(name, route));
  return {
    openapi: "3.1.0",
    info: {
      title: "queen-rbee API",
      version: RBEE_VERSION,
      description:
        "The orchestrator of rbee. Every route but /health needs `Authorization: Bearer <token>` (RBEE_HOME/token), or the same token as `x-api-key` (as Anthropic's clients send it). Streams are Server-Sent Events ending with `data: [DONE]`.",
    },
    servers: [{ url: "http://127.0.0.1:8080" }],
    security: [{ bearer: [] }, { apiKey: [] }],
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" }, apiKey: { type: "apiKey", in: "header", name: "x-api-key" } } },
    paths,
  };
}
