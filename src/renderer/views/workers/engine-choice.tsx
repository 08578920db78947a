import type { Engine } from "../../../shared/contract/workers.js";
import { EngineStateDot } from "../../components/engine-state-dot.js";
import type { EngineOption } from "../../lib/engine-choice.js";

/** The Engine choice of the Spawn worker form: each engine with its state on the chosen node; an unavailable one says what to install and cannot be chosen. */
export function EngineChoice({
  options,
  value,
  onChange,
  nodeName,
}: {
  readonly options: readonly EngineOption[];
  readonly value: Engine;
  readonly onChange: (engine: Engine) => void;
  readonly nodeName: string;
}) {
  return (
    <fieldset className="col-span-6" data-testid="engine-choice">
      <legend className="mb-1 text-[13px] font-medium">
        Engine <span className="font-normal text-zinc-500 dark:text-zinc-400">{nodeName ? `on ${nodeName}` : ""}</span>
      </legend>
      <div className="grid grid-cols-2 gap-2">
        {options.map((option) => (
          <label
            key={option.engine}
            data-testid={`engine-${option.engine}`}
            data-state={option.state}
            title={option.note}
            className={`flex min-w-0 items-start gap-2 rounded-md border px-2.5 py-1.5 text-sm ${
              value === option.engine
                ? "border-amber-500 bg-amber-50/60 dark:bg-amber-400/5"
                : "border-zinc-300 dark:border-zinc-700"
            } ${option.disabled ? "cursor-not-allowed opacity-60" : "cursor-pointer"}`}
          >
            <input
              type="radio"
              name="engine"
              className="mt-1 accent-amber-600"
              value={option.engine}
              checked={value === option.engine}
              disabled={option.disabled}
              onChange={() => onChange(option.engine)}
            />
            <span className="min-w-0">
              <span className="block font-medium">{option.label}</span>
              <span className="flex items-start gap-1.5 text-xs text-zinc-600 dark:text-zinc-400">
                <EngineStateDot state={option.state} className="mt-1" />
                <span className="line-clamp-2" data-testid="engine-note">
                  {option.note}
                </span>
              </span>
            </span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}
