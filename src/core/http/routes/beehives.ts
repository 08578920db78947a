import { Router } from "express";
import { AddNodeRequest, NodeNameRequest, parseOrThrow } from "../../../shared/contract/index.js";
import type { Queen } from "../../queen.js";
import { streamWork } from "../sse.js";

/** `/v2/registry/beehives/*`: the node registry. */
export function beehiveRoutes(queen: Queen): Router {
  const router = Router();
  router.post("/add", async (req, res) => {
    const node = parseOrThrow(AddNodeRequest, req.body);
    const verify = req.query.verify !== "false";
    res.status(201).json(await queen.addNode(node, verify));
  });
  router.post("/test", async (req, res) => {
    res.json(await queen.testNode(parseOrThrow(AddNodeRequest, req.body)));
  });
  router.post("/install", async (req, res) => {
    const { node_name } = parseOrThrow(NodeNameRequest, req.body);
    await streamWork(res, queen.installOperation(node_name));
  });
  router.get("/devices", async (req, res) => {
    const { node_name } = parseOrThrow(NodeNameRequest, { node_name: req.query.node_name }, "query");
    res.json(await queen.fleet.devices(node_name));
  });
  router.get("/list", (_req, res) => {
    res.json({ nodes: queen.beehives.list() });
  });
  router.post("/remove", async (req, res) => {
    const { node_name } = parseOrThrow(NodeNameRequest, req.body);
    await queen.removeNode(node_name);
    res.json({ removed: true });
  });
  return router;
}
