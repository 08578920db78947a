// Downloads never downgrade: the hive's real download path (ModelStore → downloadFile) against an
// attacker's redirects. An https origin cannot exist here (no certificates), so a test double of the
// network answers for the `.test` https hosts; every plain http URL goes to the real loopback
// servers, and nothing else is reachable (the double refuses it).
import { createHash } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ModelStore } from "../../src/hive/models/model-store.js";
import { RbeeError } from "../../src/shared/contract/index.js";
import { isLoopbackHost } from "../../src/shared/net.js";
import { buildTinyGguf } from "../helpers/tiny-gguf.js";
import { ModelServer } from "../hive/fixtures/model-server.js";

const BODY = buildTinyGguf({ seed: 23 });
const SHA = createHash("sha256").update(BODY).digest("hex");

type Answer = () => Response;

/**
 * A test double of the network: the https URLs in `answers` are answered by it (what a remote
 * https server would send), plain http to loopback goes to the real fetch, anything else fails as
 * an unreachable host would. `asked` lists every URL requested, in order.
 */
function networkDouble(answers: Record<string, Answer>): { fetch: typeof fetch; asked: string[] } {
  const asked: string[] = [];
  const fetchDouble = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : input);
    asked.push(url.href);
    const answer = answers[url.href];
    if (answer) return answer();
    if (url.protocol === "http:" && isLoopbackHost(url.hostname)) return fetch(url, init);
    throw new TypeError(`fetch failed (network double: no route to ${url.href})`);
  };
  return { fetch: fetchDouble as typeof fetch, asked };
}

const redirectTo = (location: string): Answer => () => new Response(null, { status: 302, headers: { location } });
const file = (): Answer => () => new Response(new Uint8Array(BODY), { status: 200, headers: { "content-length": String(BODY.length) } });

let server: ModelServer;
let dir: string;

beforeEach(async () => {
  server = new ModelServer();
  await server.start();
  server.serve("m.gguf", { body: BODY });
  dir = await mkdtemp(join(tmpdir(), "rbee-download-"));
});

afterEach(async () => {
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

const storeWith = (network: typeof fetch, env: NodeJS.ProcessEnv = {}): ModelStore =>
  new ModelStore(dir, env, { fetch: network, retries: 0, idleTimeoutMs: 5_000 });

async function refusal(promise: Promise<unknown>): Promise<RbeeError> {
  const error = await promise.then(
    (value) => new Error(`the download succeeded: ${JSON.stringify(value)}`),
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(RbeeError);
  return error as RbeeError;
}

async function filesUnder(root: string): Promise<string[]> {
  return (await readdir(root, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile()).map((entry) => entry.name);
}

describe("an https download", () => {
  it("follows a redirect to another https host (the double answers like a real CDN)", async () => {
    const network = networkDouble({
      "https://models.test/m.gguf": redirectTo("https://cdn.test/blobs/m.gguf?X-Amz-Signature=s3cr3t"),
      "https://cdn.test/blobs/m.gguf?X-Amz-Signature=s3cr3t": file(),
    });
    const model = await storeWith(network.fetch).provision("https://models.test/m.gguf");

    expect(model).toMatchObject({ size_bytes: BODY.length, sha256: SHA, downloaded: true });
    expect(network.asked).toEqual(["https://models.test/m.gguf", "https://cdn.test/blobs/m.gguf?X-Amz-Signature=s3cr3t"]);
  });

  it("is refused when it redirects to plain http, before the http host is asked for anything", async () => {
    const network = networkDouble({ "https://models.test/m.gguf": redirectTo(`${server.url}/cdn/m.gguf`) });
    const error = await refusal(storeWith(network.fetch).provision("https://models.test/m.gguf"));

    expect(error.code).toBe("DOWNLOAD_FAILED");
    expect(error.message).toBe(
      `Refused the redirect from https://models.test/m.gguf to ${server.url}/cdn/m.gguf: it would downgrade https to plain http`,
    );
    // The loopback server is real and would have served the file: it was never contacted.
    expect(server.requests).toEqual([]);
    expect(network.asked).toEqual(["https://models.test/m.gguf"]);
    expect(await filesUnder(dir)).toEqual([]);
  });

  it("of a hub model is refused at the downgrading hop, and the hub token never travels over http", async () => {
    // hub (https) → CDN (https) → plain http: each hop is checked, not only the first.
    const network = networkDouble({
      "https://hub.test/org/repo/resolve/main/m.gguf": redirectTo("https://cdn.test/m.gguf"),
      "https://cdn.test/m.gguf": redirectTo(`${server.url}/cdn/m.gguf`),
    });
    const store = storeWith(network.fetch, { RBEE_HF_ENDPOINT: "https://hub.test", HF_TOKEN: "hf_secret" });
    const error = await refusal(store.provision("hf:org/repo/m.gguf"));

    expect(error.code).toBe("DOWNLOAD_FAILED");
    expect(error.message).toMatch(/^Refused the redirect from https:\/\/cdn\.test\/m\.gguf to http:\/\/127\.0\.0\.1:\d+\/cdn\/m\.gguf: it would downgrade https to plain http$/);
    expect(server.requests).toEqual([]);
    expect(network.asked).toHaveLength(2);
    expect(store.list()).toEqual([]);
  });

  it.each([
    ["file:", "file:///etc/passwd"],
    ["data:", "data:application/octet-stream;base64,R0dVRgM="],
    ["ftp:", "ftp://127.0.0.1/m.gguf"],
  ])("is refused when it redirects to a %s URL", async (scheme, location) => {
    const network = networkDouble({ "https://models.test/m.gguf": redirectTo(location) });
    const error = await refusal(storeWith(network.fetch).provision("https://models.test/m.gguf"));

    expect(error.code).toBe("DOWNLOAD_FAILED");
    expect(error.message).toBe(`Refused the redirect from https://models.test/m.gguf to a ${scheme} URL: a download never leaves http(s)`);
    expect(network.asked).toEqual(["https://models.test/m.gguf"]);
  });

  it("never names a redirect's query in its error (a CDN signs URLs there)", async () => {
    const network = networkDouble({ "https://models.test/m.gguf": redirectTo("http://127.0.0.1:1/m.gguf?sig=s3cr3t") });
    const error = await refusal(storeWith(network.fetch).provision("https://models.test/m.gguf"));

    expect(error.message).toBe("Refused the redirect from https://models.test/m.gguf to http://127.0.0.1:1/m.gguf: it would downgrade https to plain http");
    expect(error.message).not.toContain("s3cr3t");
  });
});

describe("a plain http download on loopback (the test servers), end to end without a double", () => {
  const realNetwork = fetch;
  let cdn: ModelServer;
  beforeEach(async () => {
    cdn = new ModelServer();
    await cdn.start();
    cdn.serve("m.gguf", { body: BODY });
  });
  afterEach(async () => {
    await cdn.stop();
  });

  it("follows a redirect to another loopback http server", async () => {
    server.redirect("/m.gguf", `${cdn.url}/cdn/m.gguf`);
    const model = await storeWith(realNetwork).provision(`${server.url}/m.gguf`);

    expect(model).toMatchObject({ size_bytes: BODY.length, sha256: SHA, downloaded: true });
    expect(cdn.bodyRequests("m.gguf")).toHaveLength(1);
  });

  it("is refused when it redirects to plain http beyond loopback", async () => {
    server.redirect("/m.gguf", "http://models.invalid/m.gguf");
    const error = await refusal(storeWith(realNetwork).provision(`${server.url}/m.gguf`));

    expect(error.code).toBe("DOWNLOAD_FAILED");
    expect(error.message).toBe(`Refused the redirect from ${server.url}/m.gguf to http://models.invalid/m.gguf: plain http is allowed only on loopback`);
  });

  it.each([
    ["file:", "file:///etc/passwd"],
    ["ftp:", "ftp://127.0.0.1/m.gguf"],
  ])("is refused when it redirects to a %s URL", async (scheme, location) => {
    server.redirect("/m.gguf", location);
    const error = await refusal(storeWith(realNetwork).provision(`${server.url}/m.gguf`));

    expect(error.code).toBe("DOWNLOAD_FAILED");
    expect(error.message).toBe(`Refused the redirect from ${server.url}/m.gguf to a ${scheme} URL: a download never leaves http(s)`);
  });

  it("is refused when a redirect carries credentials", async () => {
    server.redirect("/m.gguf", `http://user:pw@127.0.0.1:${new URL(cdn.url).port}/cdn/m.gguf`);
    const error = await refusal(storeWith(realNetwork).provision(`${server.url}/m.gguf`));

    expect(error.code).toBe("DOWNLOAD_FAILED");
    expect(error.message).toMatch(/a redirect must not carry credentials$/);
    expect(cdn.requests).toEqual([]);
  });
});
