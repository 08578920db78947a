import type { HiveDevices } from "../../../shared/contract/hive.js";
import { GpuRow } from "./gpu-row.js";

/** Under a node with GPUs: each GPU's memory bar, load and temperature, as the hive last polled them. */
export function NodeGpusRow({ nodeName, devices, columns }: { readonly nodeName: string; readonly devices: HiveDevices | null; readonly columns: number }) {
  if (!devices || devices.vram.length === 0) return null;
  return (
    <tr data-testid={`gpus-row-${nodeName}`} className="border-t-0">
      <td colSpan={columns} className="px-3 pt-0 pb-3">
        <div className="grid grid-cols-[repeat(auto-fill,minmax(28rem,1fr))] gap-x-6 gap-y-1.5">
          {devices.vram.map((gpu) => (
            <GpuRow key={`${gpu.backend}:${gpu.device}`} gpu={gpu} />
          ))}
        </div>
      </td>
    </tr>
  );
}
