// What ggml-rpc-server says about itself: its device on stdout at start, and with GGML_RPC_DEBUG=1
// one stderr line per command of its client (llama.cpp's ggml-rpc.cpp, `LOG_DBG("[%s] …", __func__)`).

/** The device line of its start banner: `  CPU: Intel(R) Xeon(R) … (24105 MiB, 24105 MiB free)`. */
export interface RpcDevice {
  readonly name: string;
  readonly description: string;
  readonly totalBytes: number;
  readonly freeBytes: number;
}

const MIB = 1024 * 1024;
const DEVICE_LINE = /^\s+(\S+): (.*) \((\d+) MiB, (\d+) MiB free\)\s*$/;
/** Lines longer than this are no debug line of interest: they are not parsed. */
const MAX_PARSED_CHARS = 400;
/** Distinct tensors remembered per server at most (a bound on memory, far above any model's count). */
const MAX_TENSORS = 1_000_000;

/** Parses the banner's device line; undefined for any other line. */
export function parseDeviceLine(line: string): RpcDevice | undefined {
  const match = DEVICE_LINE.exec(line);
  if (!match) return undefined;
  return { name: match[1] ?? "", description: match[2] ?? "", totalBytes: Number(match[3]) * MIB, freeBytes: Number(match[4]) * MIB };
}

/** `[set_tensor]` prints pointers with `%p` (0x…), `[alloc_buffer]` with PRIx64 (no prefix): one key for both. */
function pointerKey(text: string): string {
  return text.toLowerCase().replace(/^0x/, "");
}

const ALLOC = /^\[alloc_buffer\] device: \d+, size: \d+ -> remote_ptr: ([0-9a-fA-Fx]+), remote_size: (\d+)/;
const FREE = /^\[free_buffer\] remote_ptr: ([0-9a-fA-Fx]+)/;
const SET_TENSOR = /^\[set_tensor(?:_hash)?\] buffer: ([0-9a-fA-Fx]+), data: ([0-9a-fA-Fx]+)/;

/** Which debug lines are per compute or per tensor (the ones a log need not keep). */
export function isChattyDebugLine(line: string): boolean {
  return /^\[(graph_compute|graph_recompute|get_tensor|set_tensor|set_tensor_hash|get_alloc_size|init_tensor|buffer_get_base|copy_tensor|get_device_memory|get_alignment|get_max_size)\]/.test(line) || /^recv returned/.test(line);
}

/**
 * What an rpc-server holds for its client, from its debug lines: the buffers allocated
 * (`[alloc_buffer]` … `remote_size: N`, less `[free_buffer]`) and the distinct tensors written into
 * them (`[set_tensor]` by data pointer). Its client's buffers go when the connection closes
 * (`[~impl] closing socket`); a new client (`[hello]`) starts from nothing. Per-compute lines are
 * dismissed by their first characters, so a long generation costs next to nothing here.
 */
export class RpcTensorTally {
  private readonly buffers = new Map<string, { readonly bytes: number; readonly tensors: Set<string> }>();
  private tensorCount = 0;

  /** Bytes of the buffers allocated now. */
  get bufferBytes(): number {
    let total = 0;
    for (const buffer of this.buffers.values()) total += buffer.bytes;
    return total;
  }

  /** Distinct tensors written into those buffers. */
  get tensors(): number {
    return this.tensorCount;
  }

  /** Takes one stderr line. */
  line(text: string): void {
    if (text.length > MAX_PARSED_CHARS || text.charCodeAt(0) !== 0x5b /* "[" */) return;
    if (text.startsWith("[graph_") || text.startsWith("[get_")) return;
    if (text.startsWith("[set_tensor")) {
      const match = SET_TENSOR.exec(text);
      const buffer = match?.[1] ? this.buffers.get(pointerKey(match[1])) : undefined;
      if (!buffer || !match?.[2] || this.tensorCount >= MAX_TENSORS) return;
      const data = pointerKey(match[2]);
      if (buffer.tensors.has(data)) return;
      buffer.tensors.add(data);
      this.tensorCount += 1;
      return;
    }
    if (text.startsWith("[alloc_buffer]")) {
      const match = ALLOC.exec(text);
      if (match?.[1]) this.buffers.set(pointerKey(match[1]), { bytes: Number(match[2]), tensors: new Set() });
      return;
    }
    if (text.startsWith("[free_buffer]")) {
      const match = FREE.exec(text);
      const key = match?.[1] ? pointerKey(match[1]) : undefined;
      const buffer = key ? this.buffers.get(key) : undefined;
      if (key && buffer) {
        this.tensorCount -= buffer.tensors.size;
        this.buffers.delete(key);
      }
      return;
    }
    if (text.startsWith("[~impl] closing socket") || text.startsWith("[hello]")) this.clear();
  }

  private clear(): void {
    this.buffers.clear();
    this.tensorCount = 0;
  }
}
