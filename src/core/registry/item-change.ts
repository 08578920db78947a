import type { DeltaOp } from "../../shared/contract/index.js";

/**
 * Which item of a keyed collection changed, so that a listener can pass on that one item instead
 * of the whole list: `upsert` with the item as it is now, `remove` with it as it was last.
 */
export interface ItemChange<T> {
  readonly op: DeltaOp;
  readonly item: T;
}
