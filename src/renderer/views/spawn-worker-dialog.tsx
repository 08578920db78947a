import { useEffect, useId, useState, type FormEvent } from "react";
import { Backend } from "../../shared/contract/workers.js";
import { ErrorBox } from "../components/error-box.js";
import { CloseIcon, SpinnerIcon } from "../components/icons.js";
import { Modal } from "../components/modal.js";
import { useNotify } from "../components/notices.js";
import { ProgressBar } from "../components/progress-bar.js";
import { describeCodedError } from "../lib/error-text.js";
import { modelChoices } from "../lib/model-choices.js";
import { describeProgress } from "../lib/progress-text.js";
import { useFleet, useOperations } from "../state/fleet-context.js";

/** The "Spawn worker" dialog: node, model, backend and device, then the spawn's progress. */
export function SpawnWorkerDialog({ open, onClose }: { readonly open: boolean; readonly onClose: () => void }) {
  const titleId = useId();
  return (
    <Modal open={open} onClose={onClose} labelledBy={titleId} className="mt-[8vh] max-w-lg">
      <SpawnForm titleId={titleId} onClose={onClose} />
    </Modal>
  );
}

const LABEL = "mb-1 block text-[13px] font-medium";

function SpawnForm({ titleId, onClose }: { readonly titleId: string; readonly onClose: () => void }) {
  const { nodes, workers } = useFleet();
  const { state, actions } = useOperations();
  const notify = useNotify();
  const ids = { node: useId(), model: useId(), list: useId(), backend: useId(), device: useId(), slots: useId() };
  const firstNode = nodes?.find((n) => n.status === "ready") ?? nodes?.[0];
  const [nodeName, setNodeName] = useState(firstNode?.node_name ?? "");
  const [model, setModel] = useState("");
  const [backend, setBackend] = useState<Backend>("cpu");
  const [device, setDevice] = useState("0");
  const [slots, setSlots] = useState("1");
  const [operationId, setOperationId] = useState<string | null>(null);
  const [invalid, setInvalid] = useState<string | null>(null);

  const operation = state.spawns.find((op) => op.id === operationId) ?? null;
  const running = operation?.state.kind === "running";

  // Once the worker is registered the dialog has done its job.
  useEffect(() => {
    if (operation?.state.kind !== "done") return;
    notify({ tone: "success", title: "Worker ready", message: operation.state.message });
    actions.dismissSpawn(operation.id);
    onClose();
  }, [operation, actions, notify, onClose]);

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (running) return;
    const deviceNumber = Number(device);
    const slotCount = Number(slots);
    if (nodeName === "") return setInvalid("Choose a node.");
    if (model.trim() === "") return setInvalid("Choose or type a model.");
    if (!/^\d+$/.test(device) || deviceNumber > 64) return setInvalid("The device is a GPU index: 0, 1, …");
    if (!/^\d+$/.test(slots) || slotCount < 1 || slotCount > 64) return setInvalid("Slots is a number from 1 to 64.");
    setInvalid(null);
    if (operation) actions.dismissSpawn(operation.id);
    setOperationId(
      actions.spawn({ node_name: nodeName, model_ref: model.trim(), backend, device: deviceNumber, ...(slotCount > 1 ? { slots: slotCount } : {}) }),
    );
  };

  const progress = operation?.state.kind === "running" ? operation.state.progress : null;
  const view = progress ? describeProgress(progress) : null;

  return (
    <form noValidate onSubmit={submit} aria-busy={running}>
      <div className="flex items-start justify-between gap-4 border-b border-zinc-200 px-5 py-3.5 dark:border-zinc-800">
        <div>
          <h2 id={titleId} className="text-base font-semibold">
            Spawn worker
          </h2>
          <p className="mt-0.5 text-sm text-zinc-500 dark:text-zinc-400">
            Loads a model on a node, ready to answer. The model is downloaded there first if needed.
          </p>
        </div>
        <button type="button" className="btn-ghost -mr-2" aria-label="Close" onClick={onClose}>
          <CloseIcon className="size-4" />
        </button>
      </div>
      <fieldset disabled={running} className="grid grid-cols-6 gap-x-3 gap-y-3 px-5 py-4">
        <div className="col-span-6">
          <label htmlFor={ids.node} className={LABEL}>
            Node
          </label>
          <select id={ids.node} className="input" value={nodeName} onChange={(e) => setNodeName(e.target.value)}>
            {nodes?.length ? null : <option value="">No node yet: add one in Nodes</option>}
            {nodes?.map((node) => (
              <option key={node.node_name} value={node.node_name}>
                {node.node_name} ({node.status})
              </option>
            ))}
          </select>
        </div>
        <div className="col-span-6">
          <label htmlFor={ids.model} className={LABEL}>
            Model
          </label>
          <input
            id={ids.model}
            className="input font-mono text-[13px]"
            list={ids.list}
            placeholder="tinyllama, hf:org/repo/file.gguf or file:/path.gguf"
            spellCheck={false}
            autoComplete="off"
            autoFocus
            value={model}
            onChange={(e) => setModel(e.target.value)}
          />
          <datalist id={ids.list}>
            {modelChoices(workers ?? []).map((choice) => (
              <option key={choice.value} value={choice.value} label={choice.detail} />
            ))}
          </datalist>
        </div>
        <div className="col-span-2">
          <label htmlFor={ids.backend} className={LABEL}>
            Backend
          </label>
          <select id={ids.backend} className="input" value={backend} onChange={(e) => setBackend(Backend.parse(e.target.value))}>
            {Backend.options.map((option) => (
              <option key={option} value={option}>
                {option}
              </option>
            ))}
          </select>
        </div>
        <div className="col-span-2">
          <label htmlFor={ids.device} className={LABEL}>
            Device
          </label>
          <input id={ids.device} className="input tabular-nums" inputMode="numeric" value={device} onChange={(e) => setDevice(e.target.value.trim())} />
        </div>
        <div className="col-span-2">
          <label htmlFor={ids.slots} className={LABEL}>
            Slots
          </label>
          <input id={ids.slots} className="input tabular-nums" inputMode="numeric" value={slots} onChange={(e) => setSlots(e.target.value.trim())} />
        </div>
        <p className="col-span-6 -mt-1 text-xs text-zinc-500 dark:text-zinc-400">
          A GPU backend never falls back to cpu: the spawn fails if the node lacks it. Slots are requests served at once.
        </p>
      </fieldset>
      <div className="space-y-3 px-5 pb-4 empty:hidden">
        {invalid ? <p className="text-sm text-red-600 dark:text-red-400">{invalid}</p> : null}
        {running ? (
          <div data-testid="spawn-progress">
            <div className="mb-1.5 flex items-baseline justify-between gap-3 text-xs">
              <span className="min-w-0 truncate">
                <span className="font-medium">{view?.step ?? "Starting"}</span>
                {view ? <span className="text-zinc-500 dark:text-zinc-400"> · {view.message}</span> : null}
              </span>
              {view?.amount ? <span className="shrink-0 tabular-nums text-zinc-500">{view.amount}</span> : null}
            </div>
            <ProgressBar fraction={view?.fraction ?? null} label="Spawning the worker" />
          </div>
        ) : null}
        {operation?.state.kind === "failed" ? (
          <ErrorBox text={describeCodedError(operation.state)} title={`Spawn failed: ${describeCodedError(operation.state).title}`} />
        ) : null}
      </div>
      <div className="flex items-center justify-end gap-2 border-t border-zinc-200 bg-zinc-50 px-5 py-3 dark:border-zinc-800 dark:bg-zinc-900/60">
        {running ? (
          <>
            <p className="mr-auto text-xs text-zinc-500 dark:text-zinc-400">You can close this: the spawn goes on.</p>
            <button type="button" className="btn-secondary" onClick={() => operation && actions.cancelSpawn(operation.id)}>
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
              {running ? <SpinnerIcon className="size-4" /> : null}
              {operation?.state.kind === "failed" ? "Try again" : "Spawn"}
            </button>
          </>
        )}
      </div>
    </form>
  );
}
