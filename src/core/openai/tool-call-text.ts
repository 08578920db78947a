/** A piece of one tool call as OpenAI streams it: the first carries id, type and name. */
export type ToolCallDelta = {
  readonly index: 0;
  readonly id?: string;
  readonly type?: "function";
  readonly function: { readonly name?: string; readonly arguments: string };
};

/** How the answer's text reads as a tool call: the arguments of a named function, or `{"name", "arguments"}`. */
export type ToolCallForm = { readonly kind: "function"; readonly name: string } | { readonly kind: "any" };

// The beginning of `{"name": "<function>", "arguments": ` as the grammar writes it (names are plain: [A-Za-z0-9_-]).
const HEAD = /^\s*\{\s*"name"\s*:\s*"([A-Za-z0-9_-]+)"\s*,\s*"arguments"\s*:/;
// What may still be the end of the wrapper object: held back until more text shows it is not.
const TAIL = /[\s}]*$/;

/**
 * Reads a grammar-constrained answer as one tool call while it streams, and turns its text into
 * OpenAI's tool call deltas: for a named function every piece of text is arguments; for a choice
 * among functions the name is read from the head of the wrapper object and its closing brace is
 * left out. `finish` gives what was held back; `call` the whole call once finished.
 */
export class ToolCallAssembler {
  private text = "";
  private sent = 0;
  private name: string | undefined;
  private argumentsText = "";

  constructor(
    private readonly form: ToolCallForm,
    private readonly id: string,
  ) {
    if (form.kind === "function") this.name = form.name;
  }

  /** The deltas that open the call (for a named function, at once). */
  start(): ToolCallDelta[] {
    return this.form.kind === "function" ? [this.head(this.form.name)] : [];
  }

  push(piece: string): ToolCallDelta[] {
    if (piece === "") return [];
    if (this.form.kind === "function") return [this.args(piece)];
    this.text += piece;
    const out: ToolCallDelta[] = [];
    if (this.name === undefined) {
      const head = HEAD.exec(this.text);
      if (!head) return [];
      this.name = head[1]!;
      this.sent = head[0].length;
      out.push(this.head(this.name));
    }
    this.skipLeadingSpace();
    const held = TAIL.exec(this.text.slice(this.sent))![0].length;
    const ready = this.text.slice(this.sent, this.text.length - held);
    if (ready !== "") {
      this.sent += ready.length;
      out.push(this.args(ready));
    }
    return out;
  }

  /** At the end of the answer: the held-back end of the arguments, without the wrapper's closing brace. */
  finish(): ToolCallDelta[] {
    if (this.form.kind === "function" || this.name === undefined) return [];
    this.skipLeadingSpace();
    const rest = this.text.slice(this.sent).replace(/\s*\}\s*$/, "");
    this.sent = this.text.length;
    return rest === "" ? [] : [this.args(rest)];
  }

  /** The call as read so far: undefined while no function name is known. */
  call(): { readonly id: string; readonly name: string; readonly arguments: string } | undefined {
    return this.name === undefined ? undefined : { id: this.id, name: this.name, arguments: this.argumentsText };
  }

  // The space between the wrapper's "arguments": and the value is not part of the arguments, however the text arrives.
  private skipLeadingSpace(): void {
    if (this.argumentsText !== "") return;
    this.sent += /^\s*/.exec(this.text.slice(this.sent))![0].length;
  }

  private head(name: string): ToolCallDelta {
    return { index: 0, id: this.id, type: "function", function: { name, arguments: "" } };
  }

  private args(text: string): ToolCallDelta {
    this.argumentsText += text;
    return { index: 0, function: { arguments: text } };
  }
}
