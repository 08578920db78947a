import { Backend } from "../../../shared/contract/workers.js";
import { DialogHeader } from "../../components/dialog-header.js";
import { ErrorBox } from "../../components/error-box.js";
import { FormActions } from "../../components/form-actions.js";
import { LabelledField } from "../../components/labelled-field.js";
import { ModelInput } from "../../components/model-input.js";
import { OperationProgress } from "../../components/operation-progress.js";
import { Select } from "../../components/select.js";
import { TextField } from "../../components/text-field.js";
import { describeCodedError } from "../../lib/error-text.js";
import { modelHolders } from "../../lib/model-holders.js";
import { useFleet, useModels } from "../../state/fleet-context.js";
import { useModelCatalog } from "../../state/use-model-catalog.js";
import { EngineChoice } from "./engine-choice.js";
import { PlacementPreview } from "./placement-preview.js";
import { SplitAcross } from "./split-across.js";
import { useSpawnForm } from "./use-spawn-form.js";

/**
 * The Spawn worker form: its fields (node, model, engine, the nodes to split across) and where the
 * queen would run it while idle, the spawn's progress while it runs, its error if it failed.
 */
export function SpawnForm({ titleId, onClose }: { readonly titleId: string; readonly onClose: () => void }) {
  const { nodes, workers } = useFleet();
  const catalog = useModelCatalog();
  const listed = useModels().state.nodes;
  const { field, operation, running, ...form } = useSpawnForm(onClose);
  const backend = field("backend");
  const failure = operation?.state.kind === "failed" ? describeCodedError(operation.state) : null;

  return (
    <form noValidate onSubmit={form.submit} aria-busy={running} className="flex max-h-[calc(100dvh-2rem)] flex-col">
      <DialogHeader
        titleId={titleId}
        title="Spawn worker"
        description="Loads a model on a node, ready to answer. The model is downloaded there first if needed."
        onClose={onClose}
      />
      {/* The choices scroll inside the dialog when the window is short: the progress, errors and buttons below stay in view. */}
      <div className="min-h-0 flex-1 overflow-y-auto">
        <fieldset disabled={running} className="grid grid-cols-6 gap-x-3 gap-y-3 px-5 py-4">
          <LabelledField id={field("node").id} label="Node" className="col-span-2">
            <Select
              options={[
                ...(nodes?.length ? [] : [{ value: "", label: "No node yet: add one in Nodes" }]),
                ...(nodes ?? []).map((node) => ({ value: node.node_name, label: `${node.node_name} (${node.status})` })),
              ]}
              {...field("node")}
            />
          </LabelledField>
          <LabelledField id={field("model").id} label="Model" className="col-span-4">
            <ModelInput workers={workers ?? []} catalog={catalog ?? []} holders={modelHolders(listed)} autoFocus {...field("model")} />
          </LabelledField>
          <LabelledField id={backend.id} label="Backend" className="col-span-2">
            <Select
              id={backend.id}
              options={Backend.options.map((option) => ({ value: option, label: option }))}
              value={backend.value}
              onChange={(value) => backend.onChange(Backend.parse(value))}
            />
          </LabelledField>
          <TextField label="Device" className="col-span-1" inputClassName="tabular-nums" inputMode="numeric" {...field("device")} />
          <TextField label="Slots" className="col-span-1" inputClassName="tabular-nums" inputMode="numeric" {...field("slots")} />
          <TextField label="Threads" className="col-span-1" inputClassName="tabular-nums" inputMode="numeric" placeholder="auto" {...field("threads")} />
          <TextField label="Context" className="col-span-1" inputClassName="tabular-nums" inputMode="numeric" placeholder="auto" {...field("ctx")} />
          <p className="col-span-6 -mt-1 text-xs text-zinc-500 dark:text-zinc-400">
            A GPU backend never falls back to cpu. Slots are requests served at once; threads left empty are the node&apos;s
            physical cores less one; context is tokens per slot, empty for the worker&apos;s choice.
          </p>
          <EngineChoice options={form.engines} value={form.values.engine} nodeName={form.values.node} onChange={(engine) => field("engine").onChange(engine)} />
          {form.problem ? (
            <p className="col-span-6 -mt-1 text-xs text-red-600 dark:text-red-400" data-testid="engine-problem">
              {form.problem}
            </p>
          ) : null}
          <SplitAcross options={form.shards} chosen={form.values.shards} onToggle={form.toggleShard} />
          <PlacementPreview state={form.preview} splitChosen={form.values.shards.length > 0} onUse={form.takeNodes} />
        </fieldset>
      </div>
      <div className="shrink-0 space-y-3 px-5 pb-4 empty:hidden">
        {form.invalid ? <p className="text-sm text-red-600 dark:text-red-400">{form.invalid}</p> : null}
        {operation?.state.kind === "running" ? (
          <OperationProgress testId="spawn-progress" progress={operation.state.progress} label="Spawning the worker" />
        ) : null}
        {failure ? <ErrorBox text={failure} title={`Spawn failed: ${failure.title}`} /> : null}
      </div>
      <FormActions>
        {running ? (
          <>
            <p className="mr-auto text-xs text-zinc-500 dark:text-zinc-400">You can close this: the spawn goes on.</p>
            <button type="button" className="btn-secondary" onClick={form.cancel}>
              Cancel spawn
            </button>
            <button type="button" className="btn-secondary" onClick={onClose}>
              Close
            </button>
          </>
        ) : (
          <>
            <button type="button" className="btn-secondary" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="btn-primary" disabled={!nodes?.length}>
              {failure ? "Try again" : "Spawn"}
            </button>
          </>
        )}
      </FormActions>
    </form>
  );
}
