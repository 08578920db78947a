import { shortModelName, type ModelChoice } from "../../lib/model-choices.js";

/** The models to start with as buttons (loaded ones first, then the catalog); the chosen one is marked. */
export function ModelSuggestions({
  choices,
  chosen,
  onPick,
}: {
  readonly choices: readonly ModelChoice[];
  readonly chosen: string;
  readonly onPick: (model: string) => void;
}) {
  if (choices.length === 0) return null;
  return (
    <div className="mt-4 flex flex-wrap justify-center gap-2">
      {choices.map((choice) => (
        <button
          key={choice.value}
          type="button"
          onClick={() => onPick(choice.value)}
          className={`rounded-lg border px-3 py-1.5 text-left text-xs transition-colors ${
            chosen === choice.value
              ? "border-amber-500 bg-amber-50 dark:bg-amber-400/10"
              : "border-zinc-200 bg-white hover:border-zinc-300 dark:border-zinc-700 dark:bg-zinc-900 dark:hover:border-zinc-600"
          }`}
        >
          <span className="block max-w-56 truncate font-mono text-[12.5px] font-medium text-zinc-900 dark:text-zinc-100">
            {shortModelName(choice.value)}
          </span>
          <span className="block text-zinc-500 dark:text-zinc-400">{choice.detail}</span>
        </button>
      ))}
    </div>
  );
}
