import type { Request, Response } from "express";
import { parseOrThrow, WorkerEmbeddingsRequest, type WorkerEmbeddingsResponse } from "../shared/contract/index.js";
import type { WorkerRuntime } from "./worker-runtime.js";

/**
 * `POST /v1/embeddings`: one vector per input, in order, from the engine. Takes
 * a slot while it computes (503 NO_CAPACITY when none is free), as a generation does.
 */
export function embeddingsRoute(runtime: WorkerRuntime) {
  return async (req: Request, res: Response): Promise<void> => {
    const request = parseOrThrow(WorkerEmbeddingsRequest, req.body);
    const result = await runtime.embed(request.input);
    res.json({ embeddings: result.vectors, dimensions: result.dimensions, prompt_tokens: result.tokens } satisfies WorkerEmbeddingsResponse);
  };
}
