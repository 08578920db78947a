import { useNow } from "../../lib/use-now.js";
import { useFleetSelector } from "../../state/fleet-context.js";
import { WorkerExitCard } from "./worker-exit-card.js";

/** The workers that died without being stopped, newest first, each until dismissed. */
export function WorkerExits() {
  const exits = useFleetSelector((fleet) => fleet.exits);
  const now = useNow();
  if (exits.length === 0) return null;
  return (
    <div className="mb-4 space-y-2" aria-label="Workers that died">
      {exits.map((exit) => (
        <WorkerExitCard key={exit.worker_id} exit={exit} now={now} />
      ))}
    </div>
  );
}
