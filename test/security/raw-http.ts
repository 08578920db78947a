// Requests as a browser page or a process on a node would send them: any Host header, any port.
// (fetch forbids setting Host, so these use node:http and raw sockets.)
import { request } from "node:http";
import { connect } from "node:net";

/** An answer: status and body, parsed when it is JSON. */
export interface RawAnswer {
  readonly status: number;
  readonly body: any;
}

/** One HTTP/1.1 request to 127.0.0.1:port with the given headers (Host included, as given). */
export function rawRequest(
  port: number,
  path: string,
  options: { readonly method?: string; readonly headers?: Record<string, string>; readonly body?: unknown } = {},
): Promise<RawAnswer> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path,
        method: options.method ?? "GET",
        headers: { ...(payload === undefined ? {} : { "content-type": "application/json" }), ...options.headers },
        agent: false,
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: parse(text) }));
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

/** Sends raw bytes (e.g. an HTTP/1.0 request without Host) and answers the status line's code. */
export function rawBytes(port: number, bytes: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.end(bytes));
    let text = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => (text += chunk));
    socket.on("error", reject);
    socket.on("close", () => {
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, body: parse(text.slice(text.indexOf("\r\n\r\n") + 4)) });
    });
  });
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
