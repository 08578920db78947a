import type { HiveDevices } from "../../shared/contract/hive.js";
import { useFleetSelector } from "./fleet-context.js";
import { useApiValue } from "./use-api-value.js";

/**
 * What a ready node's hive has to run workers on: the live figures the queen pushes while the UI is
 * open, else the answer of asking once; null until (or unless) either comes, and for a node not ready.
 */
export function useNodeDevices(nodeName: string, ready: boolean): HiveDevices | null {
  const live = useFleetSelector((fleet) => fleet.devices.get(nodeName));
  const asked = useApiValue<HiveDevices | null>(
    `${nodeName}:${ready}`,
    async (api) => (ready ? api.nodeDevices({ node_name: nodeName }) : null),
    null,
    null,
  );
  return ready ? (live ?? asked) : null;
}

/**
 * The devices of several ready nodes (the Spawn worker form's "Split across"): the live figures the
 * queen pushes, else one ask per node; a node not ready, or not answered yet, has none.
 */
export function useNodesDevices(nodeNames: readonly string[]): (nodeName: string) => HiveDevices | null {
  const live = useFleetSelector((fleet) => fleet.devices);
  const key = nodeNames.join(",");
  const asked = useApiValue<ReadonlyMap<string, HiveDevices>>(
    key,
    async (api) => {
      const answers = await Promise.all(
        nodeNames.map((name) => api.nodeDevices({ node_name: name }).then((devices) => [name, devices] as const, () => null)),
      );
      return new Map(answers.filter((answer) => answer !== null));
    },
    new Map(),
    new Map(),
  );
  return (nodeName) => live.get(nodeName) ?? asked.get(nodeName) ?? null;
}
