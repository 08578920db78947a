import { useId, type InputHTMLAttributes } from "react";
import type { CatalogModel } from "../../shared/contract/model-catalog.js";
import type { RegisteredWorker } from "../../shared/contract/workers.js";
import { modelChoices } from "../lib/model-choices.js";
import type { ModelHolders } from "../lib/model-holders.js";
import { TextInput } from "./text-input.js";

/** The model box of the Chat, Spawn worker and Download model: any model_ref, with loaded models, the nodes' files and the catalog's suggested. */
export function ModelInput({
  workers,
  catalog,
  holders,
  value,
  onChange,
  ...input
}: Pick<InputHTMLAttributes<HTMLInputElement>, "id" | "aria-label" | "autoFocus"> & {
  readonly workers: readonly RegisteredWorker[];
  readonly catalog: readonly CatalogModel[];
  /** Which nodes hold each model's file, said under each choice; none known when left out. */
  readonly holders?: ModelHolders;
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
        {modelChoices(workers, catalog, holders).map((choice) => (
          <option key={choice.value} value={choice.value} label={choice.detail} />
        ))}
      </datalist>
    </>
  );
}
