import { writeFile } from "node:fs/promises";

/**
 * How the generated model treats its end-of-sequence token: `never` makes it impossible to sample
 * (so a generation always runs to max_tokens), `always` makes it the only likely token (so a
 * generation ends with `eos` at once), `random` leaves it as likely as any other token.
 */
export type TinyGgufEos = "never" | "always" | "random";

/**
 * What the generated model may write: `any` token, or only `printable` ones (the byte tokens of
 * printable ASCII other than the space, and the word-boundary piece), whose text tokenizes back into
 * the same tokens, so that an answer sent back as a later turn's message matches what was generated.
 */
export type TinyGgufText = "any" | "printable";

/** A ChatML chat template like Qwen's GGUFs carry (trimmed to what matters): `chatTemplate` for a chat model. */
export const CHATML_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** Shape and randomness of a generated test model. */
export type TinyGgufOptions = {
  /** PRNG seed: the same options always give the same bytes. */
  readonly seed?: number;
  /** `llama.context_length` (the training context). */
  readonly contextLength?: number;
  /** Embedding width E (a multiple of `heads`). */
  readonly embedding?: number;
  /** Number of transformer blocks. */
  readonly blocks?: number;
  /** Attention heads (and key/value heads). */
  readonly heads?: number;
  /** Feed-forward width F. */
  readonly feedForward?: number;
  readonly eos?: TinyGgufEos;
  readonly text?: TinyGgufText;
  /** A Jinja chat template (`tokenizer.chat_template`); none by default. */
  readonly chatTemplate?: string;
};

// GGUF value types (ggml/include/gguf.h).
const GGUF_TYPE = { UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7, STRING: 8, ARRAY: 9 } as const;
const GGML_TYPE_F32 = 0;
const ALIGNMENT = 32;
// tokenizer.ggml.token_type values.
const TOKEN_NORMAL = 1;
const TOKEN_UNKNOWN = 2;
const TOKEN_CONTROL = 3;
const TOKEN_BYTE = 6;
const SPECIAL_TOKENS = 3; // <unk>, <s>, </s>
const FIRST_PRINTABLE = 0x21; // "!": the space byte would come back as the word-boundary piece
const LAST_PRINTABLE = 0x7e;

type MetadataValue =
  | { readonly kind: "u32"; readonly value: number }
  | { readonly kind: "f32"; readonly value: number }
  | { readonly kind: "bool"; readonly value: boolean }
  | { readonly kind: "string"; readonly value: string }
  | { readonly kind: "string[]"; readonly value: readonly string[] }
  | { readonly kind: "f32[]"; readonly value: readonly number[] }
  | { readonly kind: "i32[]"; readonly value: readonly number[] };

type Tensor = { readonly name: string; readonly dims: readonly number[]; readonly data: Float32Array };

/** mulberry32: a tiny, fast, seedable PRNG giving floats in [0, 1). */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Little-endian byte writer that grows as needed. */
class ByteWriter {
  private buffer = Buffer.alloc(1 << 16);
  private length = 0;

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const next = Buffer.alloc(Math.max(this.buffer.length * 2, this.length + bytes));
    this.buffer.copy(next, 0, 0, this.length);
    this.buffer = next;
  }

  u32(value: number): void {
    this.reserve(4);
    this.buffer.writeUInt32LE(value, this.length);
    this.length += 4;
  }

  i32(value: number): void {
    this.reserve(4);
    this.buffer.writeInt32LE(value, this.length);
    this.length += 4;
  }

  u64(value: number): void {
    this.reserve(8);
    this.buffer.writeBigUInt64LE(BigInt(value), this.length);
    this.length += 8;
  }

  f32(value: number): void {
    this.reserve(4);
    this.buffer.writeFloatLE(value, this.length);
    this.length += 4;
  }

  u8(value: number): void {
    this.reserve(1);
    this.buffer.writeUInt8(value, this.length);
    this.length += 1;
  }

  string(value: string): void {
    const bytes = Buffer.from(value, "utf8");
    this.u64(bytes.length);
    this.bytes(bytes);
  }

  bytes(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  padTo(alignment: number): void {
    const padding = (alignment - (this.length % alignment)) % alignment;
    this.reserve(padding);
    this.length += padding; // the buffer is zero-filled
  }

  get size(): number {
    return this.length;
  }

  toBuffer(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}

function writeMetadataValue(out: ByteWriter, entry: MetadataValue): void {
  switch (entry.kind) {
    case "u32":
      out.u32(GGUF_TYPE.UINT32);
      out.u32(entry.value);
      return;
    case "f32":
      out.u32(GGUF_TYPE.FLOAT32);
      out.f32(entry.value);
      return;
    case "bool":
      out.u32(GGUF_TYPE.BOOL);
      out.u8(entry.value ? 1 : 0);
      return;
    case "string":
      out.u32(GGUF_TYPE.STRING);
      out.string(entry.value);
      return;
    case "string[]":
      out.u32(GGUF_TYPE.ARRAY);
      out.u32(GGUF_TYPE.STRING);
      out.u64(entry.value.length);
      for (const item of entry.value) out.string(item);
      return;
    case "f32[]":
      out.u32(GGUF_TYPE.ARRAY);
      out.u32(GGUF_TYPE.FLOAT32);
      out.u64(entry.value.length);
      for (const item of entry.value) out.f32(item);
      return;
    case "i32[]":
      out.u32(GGUF_TYPE.ARRAY);
      out.u32(GGUF_TYPE.INT32);
      out.u64(entry.value.length);
      for (const item of entry.value) out.i32(item);
      return;
  }
}

/**
 * Vocabulary: `<unk>`, `<s>`, `</s>`, the 256 byte tokens (which spell any text on their own), and
 * the word-boundary piece "▁" so that spaces survive a tokenize/detokenize round trip.
 */
function vocabulary(): { tokens: string[]; scores: number[]; types: number[] } {
  const tokens = ["<unk>", "<s>", "</s>"];
  const types = [TOKEN_UNKNOWN, TOKEN_CONTROL, TOKEN_CONTROL];
  for (let byte = 0; byte < 256; byte++) {
    tokens.push(`<0x${byte.toString(16).toUpperCase().padStart(2, "0")}>`);
    types.push(TOKEN_BYTE);
  }
  tokens.push("\u2581");
  types.push(TOKEN_NORMAL);
  return { tokens, scores: tokens.map(() => 0), types };
}

/**
 * Builds the bytes of a tiny llama-architecture GGUF v3 model with random F32 weights (the layout in
 * STACK.md). Dimension 0 of the residual stream is held at a constant (embeddings set it, no block
 * writes to it), which lets the output matrix push the special tokens' logits far down or up.
 */
export function buildTinyGguf(options: TinyGgufOptions = {}): Buffer {
  const embedding = options.embedding ?? 64;
  const blocks = options.blocks ?? 2;
  const heads = options.heads ?? 4;
  const feedForward = options.feedForward ?? 128;
  const contextLength = options.contextLength ?? 2048;
  const eos = options.eos ?? "never";
  const random = seededRandom(options.seed ?? 1);
  const headDim = embedding / heads;
  const kv = headDim * heads;
  const vocab = vocabulary();
  const vocabSize = vocab.tokens.length;

  const uniform = (count: number, scale: number): Float32Array =>
    Float32Array.from({ length: count }, () => (random() * 2 - 1) * scale);
  const ones = (count: number): Float32Array => new Float32Array(count).fill(1);
  // An [ne0, ne1] matrix maps ne0 inputs to ne1 outputs, stored ne0 fastest: output 0 is the first row.
  const withoutOutputDim0 = (data: Float32Array, ne0: number): Float32Array => data.fill(0, 0, ne0);

  const tokenEmbedding = uniform(embedding * vocabSize, 0.1);
  for (let v = 0; v < vocabSize; v++) tokenEmbedding[v * embedding] = 1;

  const tensors: Tensor[] = [{ name: "token_embd.weight", dims: [embedding, vocabSize], data: tokenEmbedding }];
  for (let b = 0; b < blocks; b++) {
    const p = `blk.${b}`;
    tensors.push(
      { name: `${p}.attn_norm.weight`, dims: [embedding], data: ones(embedding) },
      { name: `${p}.attn_q.weight`, dims: [embedding, embedding], data: uniform(embedding * embedding, 0.1) },
      { name: `${p}.attn_k.weight`, dims: [embedding, kv], data: uniform(embedding * kv, 0.1) },
      { name: `${p}.attn_v.weight`, dims: [embedding, kv], data: uniform(embedding * kv, 0.1) },
      {
        name: `${p}.attn_output.weight`,
        dims: [embedding, embedding],
        data: withoutOutputDim0(uniform(embedding * embedding, 0.1), embedding),
      },
      { name: `${p}.ffn_norm.weight`, dims: [embedding], data: ones(embedding) },
      { name: `${p}.ffn_gate.weight`, dims: [embedding, feedForward], data: uniform(embedding * feedForward, 0.1) },
      { name: `${p}.ffn_up.weight`, dims: [embedding, feedForward], data: uniform(embedding * feedForward, 0.1) },
      {
        name: `${p}.ffn_down.weight`,
        dims: [feedForward, embedding],
        data: withoutOutputDim0(uniform(feedForward * embedding, 0.1), feedForward),
      },
    );
  }
  const output = uniform(embedding * vocabSize, 0.5);
  for (let v = 0; v < vocabSize; v++) output[v * embedding] = 0;
  const specialWeight = eos === "never" ? -100 : 0;
  for (let v = 0; v < SPECIAL_TOKENS; v++) output[v * embedding] = specialWeight;
  if (eos === "always") output[2 * embedding] = 100;
  if (options.text === "printable") {
    for (let byte = 0; byte < 256; byte++) {
      if (byte < FIRST_PRINTABLE || byte > LAST_PRINTABLE) output[(SPECIAL_TOKENS + byte) * embedding] = -100;
    }
  }
  tensors.push(
    { name: "output_norm.weight", dims: [embedding], data: ones(embedding) },
    { name: "output.weight", dims: [embedding, vocabSize], data: output },
  );

  const metadata: ReadonlyArray<readonly [string, MetadataValue]> = [
    ["general.architecture", { kind: "string", value: "llama" }],
    ["general.name", { kind: "string", value: "rbee-tiny-test" }],
    ["general.alignment", { kind: "u32", value: ALIGNMENT }],
    ["llama.vocab_size", { kind: "u32", value: vocabSize }],
    ["llama.context_length", { kind: "u32", value: contextLength }],
    ["llama.embedding_length", { kind: "u32", value: embedding }],
    ["llama.block_count", { kind: "u32", value: blocks }],
    ["llama.feed_forward_length", { kind: "u32", value: feedForward }],
    ["llama.attention.head_count", { kind: "u32", value: heads }],
    ["llama.attention.head_count_kv", { kind: "u32", value: heads }],
    ["llama.attention.layer_norm_rms_epsilon", { kind: "f32", value: 1e-5 }],
    ["llama.rope.dimension_count", { kind: "u32", value: headDim }],
    ["llama.rope.freq_base", { kind: "f32", value: 10000 }],
    ["tokenizer.ggml.model", { kind: "string", value: "llama" }],
    ["tokenizer.ggml.tokens", { kind: "string[]", value: vocab.tokens }],
    ["tokenizer.ggml.scores", { kind: "f32[]", value: vocab.scores }],
    ["tokenizer.ggml.token_type", { kind: "i32[]", value: vocab.types }],
    ["tokenizer.ggml.unknown_token_id", { kind: "u32", value: 0 }],
    ["tokenizer.ggml.bos_token_id", { kind: "u32", value: 1 }],
    ["tokenizer.ggml.eos_token_id", { kind: "u32", value: 2 }],
    ["tokenizer.ggml.add_bos_token", { kind: "bool", value: true }],
    ...(options.chatTemplate !== undefined
      ? [["tokenizer.chat_template", { kind: "string", value: options.chatTemplate }] as const]
      : []),
  ];

  const out = new ByteWriter();
  out.bytes(Buffer.from("GGUF", "ascii"));
  out.u32(3);
  out.u64(tensors.length);
  out.u64(metadata.length);
  for (const [key, value] of metadata) {
    out.string(key);
    writeMetadataValue(out, value);
  }

  let offset = 0;
  const offsets: number[] = [];
  for (const tensor of tensors) {
    offsets.push(offset);
    offset += tensor.data.byteLength;
    offset += (ALIGNMENT - (offset % ALIGNMENT)) % ALIGNMENT;
  }
  tensors.forEach((tensor, index) => {
    out.string(tensor.name);
    out.u32(tensor.dims.length);
    for (const dim of tensor.dims) out.u64(dim);
    out.u32(GGML_TYPE_F32);
    out.u64(offsets[index] ?? 0);
  });

  out.padTo(ALIGNMENT);
  const dataStart = out.size;
  tensors.forEach((tensor, index) => {
    const target = dataStart + (offsets[index] ?? 0);
    while (out.size < target) out.u8(0);
    out.bytes(new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength));
  });
  out.padTo(ALIGNMENT);
  return Buffer.from(out.toBuffer());
}

/** Writes a tiny random llama GGUF model to `path`; deterministic for the same options. */
export async function writeTinyGguf(path: string, options: TinyGgufOptions = {}): Promise<void> {
  await writeFile(path, buildTinyGguf(options));
}
