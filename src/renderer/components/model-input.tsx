import { useId, type InputHTMLAttributes } from "react";
import type { CatalogModel } from "../../shared/contract/model-catalog.js";
import type { RegisteredWorker } from "../../shared/contract/workers.js";
import { modelChoices } from "../lib/model-choices.js";
import { TextInput } from "./text-input.js";

/** The model box of the Chat and of Spawn worker: any model_ref, with loaded models and the catalog's suggested. */
export function ModelInput({
  workers,
  catalog,
  value,
  onChange,
  ...input
}: Pick<InputHTMLAttributes<HTMLInputElement>, "id" | "aria-label" | "autoFocus"> & {
  readonly workers: readonly RegisteredWorker[];
  readonly catalog: readonly CatalogModel[];
  readonly value: string;
  readonly onChange: (value: string) => void;
}) {
  const listId = useId();
  return (
    <>
      <TextInput
        className="font-mono text-[13px]"
        list={listId}
        placeholder="tinyllama, hf:org/repo/file.gguf or file:/path.gguf"
        value={value}
        onChange={onChange}
        {...input}
      />
      <datalist id={listId}>
        {modelChoices(workers, catalog).map((choice) => (
          <option key={choice.value} value={choice.value} label={choice.detail} />
        ))}
      </datalist>
    </>
  );
}
