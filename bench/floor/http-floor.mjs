// The floor of the registry benchmark: the least an HTTP registry can do on this machine. Plain
// node:http, keep-alive, a bearer check, JSON in and out, a Map; no framework, no validation.
// Prints "listening PORT" when ready.
import { Buffer } from "node:buffer";
import { createServer } from "node:http";

const token = process.env.FLOOR_TOKEN ?? "";
const workers = new Map();
const nowUnix = () => Math.floor(Date.now() / 1000);

const server = createServer((req, res) => {
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    const send = (status, body) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
      res.end(text);
    };
    if (req.headers.authorization !== `Bearer ${token}`) return send(401, { error: { code: "UNAUTHORIZED", message: "no" } });
    if (req.method === "POST" && req.url === "/v1/workers/register") {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      const existed = workers.has(body.worker_id);
      const worker = {
        id: body.worker_id,
        url: body.url,
        model_ref: body.model_ref,
        backend: body.backend,
        device: body.device,
        state: body.state ?? "idle",
        slots_total: body.slots_total,
        slots_available: body.slots_available,
        vram_bytes: body.vram_bytes ?? null,
        node_name: body.node_name,
        last_heartbeat_unix: nowUnix(),
      };
      workers.set(worker.id, worker);
      return send(existed ? 200 : 201, { worker });
    }
    if (req.method === "POST" && req.url === "/v1/workers/heartbeat") {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      const worker = workers.get(body.worker_id);
      if (!worker) return send(404, { error: { code: "WORKER_NOT_FOUND", message: "no" } });
      const next = { ...worker, slots_available: body.slots_available ?? worker.slots_available, last_heartbeat_unix: nowUnix() };
      workers.set(next.id, next);
      return send(200, { worker: next });
    }
    if (req.method === "GET" && req.url === "/v1/workers/list") return send(200, { workers: [...workers.values()] });
    return send(404, { error: { code: "ROUTE_NOT_FOUND", message: "no" } });
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === "object" && address ? address.port : 0}\n`);
});
