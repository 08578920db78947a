import { MAX_TOKENS_LIMIT } from "../../state/conversations.js";

/** The longest answer a conversation asks for: whole numbers in range are kept, anything else is ignored. */
export function MaxTokensInput({ value, onChange }: { readonly value: number; readonly onChange: (value: number) => void }) {
  return (
    <input
      className="input tabular-nums"
      type="number"
      aria-label="Max tokens"
      min={1}
      max={MAX_TOKENS_LIMIT}
      step={1}
      value={value}
      onChange={(event) => {
        const next = Math.round(Number(event.target.value));
        if (Number.isFinite(next) && next >= 1 && next <= MAX_TOKENS_LIMIT) onChange(next);
      }}
    />
  );
}
