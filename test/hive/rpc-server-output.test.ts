import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RpcTensorTally, isChattyDebugLine, parseDeviceLine } from "../../src/hive/rpc-server-output.js";

// Captured from the real ggml-rpc-server (llama.cpp v0.4.0, GGML_RPC_DEBUG=1) while a real
// llama-server loaded the generated 8-block model with all layers on it (-ngl 99), generated two
// tokens and exited.
const fixture = (name: string): string[] => readFileSync(join(import.meta.dirname, "fixtures", name), "latin1").split("\n").filter((line) => line !== "");

describe("what an rpc-server says", () => {
  it("reads its device from the start banner", () => {
    const devices = fixture("rpc-server-banner.txt").map(parseDeviceLine).filter((device) => device !== undefined);
    expect(devices).toEqual([{ name: "CPU", description: "Intel(R) Xeon(R) Processor", totalBytes: 24105 * 1024 * 1024, freeBytes: 24105 * 1024 * 1024 }]);
    expect(parseDeviceLine("  CUDA0: NVIDIA GeForce RTX 4090 (24080 MiB, 23500 MiB free)")).toMatchObject({ name: "CUDA0", freeBytes: 23500 * 1024 * 1024 });
    expect(parseDeviceLine("Devices:")).toBeUndefined();
  });

  it("tallies the buffers and tensors its client holds, and forgets them when the client goes", () => {
    const lines = fixture("rpc-server-debug.txt");
    const closing = lines.lastIndexOf("[~impl] closing socket 4");
    expect(closing).toBe(lines.length - 1);
    const tally = new RpcTensorTally();
    for (const line of lines.slice(0, closing)) tally.line(line);
    // The three buffers of its alloc_buffer lines: weights, KV cache, compute.
    expect(tally.bufferBytes).toBe(1381632 + 1048576 + 1714208);
    // 72 block tensors, output_norm and output (token_embd stays on the main node), and the graph's 6 inputs.
    expect(tally.tensors).toBe(74 + 6);
    tally.line(lines[closing]!);
    expect([tally.bufferBytes, tally.tensors]).toEqual([0, 0]);
  });

  it("frees a buffer's bytes and tensors on free_buffer, and ignores tensors of unknown buffers", () => {
    const tally = new RpcTensorTally();
    tally.line("[hello] version: 6.0.0");
    tally.line("[alloc_buffer] device: 0, size: 1024 -> remote_ptr: 55aa00, remote_size: 1024");
    tally.line("[alloc_buffer] device: 0, size: 4096 -> remote_ptr: 55bb00, remote_size: 4096");
    tally.line("[set_tensor] buffer: 0x55aa00, data: 0x7f00, offset: 0, size: 256");
    tally.line("[set_tensor] buffer: 0x55aa00, data: 0x7f00, offset: 0, size: 256");
    tally.line("[set_tensor] buffer: 0x55bb00, data: 0x8f00, offset: 0, size: 256");
    tally.line("[set_tensor] buffer: 0x99cc00, data: 0x9f00, offset: 0, size: 256");
    expect([tally.bufferBytes, tally.tensors]).toEqual([5120, 2]);
    tally.line("[free_buffer] remote_ptr: 55aa00");
    expect([tally.bufferBytes, tally.tensors]).toEqual([4096, 1]);
    tally.line("[hello] version: 6.0.0");
    expect([tally.bufferBytes, tally.tensors]).toEqual([0, 0]);
  });

  it("keeps per-compute lines out of the log", () => {
    expect(isChattyDebugLine("[graph_compute] device: 0, n_nodes: 253, n_tensors: 349")).toBe(true);
    expect(isChattyDebugLine("[set_tensor] buffer: 0x1, data: 0x2, offset: 0, size: 1")).toBe(true);
    expect(isChattyDebugLine("[alloc_buffer] device: 0, size: 1 -> remote_ptr: 1, remote_size: 1")).toBe(false);
    expect(isChattyDebugLine("Failed to create server socket")).toBe(false);
  });
});
