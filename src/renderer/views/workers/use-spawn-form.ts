import { useEffect, useId, useState, type FormEvent } from "react";
import { useNotify } from "../../components/notices.js";
import { engineOptions, engineProblem, shardOptions } from "../../lib/engine-choice.js";
import { placementQuery } from "../../lib/placement-text.js";
import { changeSpawnForm, toggleShard, validateSpawnForm, type SpawnFormValues } from "../../lib/spawn-form.js";
import { useFleet, useOperations } from "../../state/fleet-context.js";
import { useNodeDevices, useNodesDevices } from "../../state/use-node-devices.js";
import { usePlacementPreview } from "./use-placement-preview.js";

/**
 * The Spawn worker form's choices and the spawn it started. The spawn runs in the operations store,
 * so it goes on when the dialog closes; once its worker is registered the dialog closes itself.
 * The engines offered and the nodes to split across follow the nodes' devices; the placement
 * preview follows the choices.
 */
export function useSpawnForm(onClose: () => void) {
  const { nodes } = useFleet();
  const { state, actions } = useOperations();
  const notify = useNotify();
  const idPrefix = useId();
  const firstNode = nodes?.find((n) => n.status === "ready") ?? nodes?.[0];
  const [values, setValues] = useState<SpawnFormValues>({
    node: firstNode?.node_name ?? "",
    model: "",
    backend: "cpu",
    device: "0",
    slots: "1",
    threads: "",
    ctx: "",
    engine: "node-llama-cpp",
    shards: [],
  });
  const [operationId, setOperationId] = useState<string | null>(null);
  const [invalid, setInvalid] = useState<string | null>(null);

  const chosenNode = nodes?.find((node) => node.node_name === values.node);
  const engines = engineOptions(useNodeDevices(values.node, chosenNode?.status === "ready"));
  const others = (nodes ?? []).filter((node) => node.node_name !== values.node);
  const devicesOf = useNodesDevices(others.filter((node) => node.status === "ready").map((node) => node.node_name));
  const shards = shardOptions(others, values.node, devicesOf);
  const problem = engineProblem(values, engines, shards);
  const preview = usePlacementPreview(placementQuery(values));

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
    const checked = validateSpawnForm(values, problem);
    if (!checked.ok) return setInvalid(checked.message);
    setInvalid(null);
    if (operation) actions.dismissSpawn(operation.id);
    setOperationId(actions.spawn(checked.request));
  };

  /** What the control of one choice is given. */
  const field = <K extends keyof SpawnFormValues>(name: K) => ({
    id: `${idPrefix}-${name}`,
    value: values[name],
    onChange: (value: SpawnFormValues[K]) => setValues((current) => changeSpawnForm(current, name, value)),
  });

  return {
    field,
    engines,
    shards,
    preview,
    /** Why the engine or the shards chosen cannot run, known before the spawn is asked for. */
    problem,
    values,
    invalid,
    operation,
    running,
    submit,
    toggleShard: (node: string, on: boolean) => setValues((current) => toggleShard(current, node, on)),
    /** Takes the nodes the preview found (the main node, its shards). */
    takeNodes: (choice: { readonly node: string; readonly shards: readonly string[] }) =>
      setValues((current) => changeSpawnForm(changeSpawnForm(current, "node", choice.node), "shards", choice.shards)),
    cancel: () => operation && actions.cancelSpawn(operation.id),
  };
}
