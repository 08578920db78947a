import { jsonEqual } from "./json-equal.js";
import { treeAt, treeFind, treeFromSorted, treeItems, treePut, treeRemove, treeSize, type Seek, type Tree } from "./ordered-tree.js";

/** How a list names and orders its items: ties in `order` are broken by the key, so the order is total. */
export interface ListOrder<T> {
  readonly key: (item: T) => string;
  readonly order: (a: T, b: T) => number;
}

const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * An immutable list of items with unique keys, kept in a stable order: the fleet's workers, nodes
 * and transfers as the store holds them. One item is put or taken out in O(log n) without
 * touching the others (a table row memoised on its item renders again only when its own item
 * changed), and the previous list stays as it was. Read by index (`at`, for a virtualised table),
 * by key (`get`) or whole (`toArray`, built once per list on first use).
 */
export class KeyedList<T> implements Iterable<T> {
  private array: readonly T[] | null = null;

  private constructor(
    private readonly spec: ListOrder<T>,
    private readonly inOrder: Tree<T>,
    private readonly byKey: Tree<T>,
    /** A token that changes only when an item is added or removed: an item changed in place keeps it. */
    readonly members: object,
  ) {}

  static empty<T>(spec: ListOrder<T>): KeyedList<T> {
    return new KeyedList(spec, null, null, {});
  }

  static of<T>(spec: ListOrder<T>, items: Iterable<T>): KeyedList<T> {
    return KeyedList.empty(spec).replaceAll(items);
  }

  get size(): number {
    return treeSize(this.inOrder);
  }

  at(index: number): T | undefined {
    return treeAt(this.inOrder, index);
  }

  get(key: string): T | undefined {
    return treeFind(this.byKey, this.keySeek(key));
  }

  /** The list with `item` added, or in place of the one with its key (this list when that one is equal). */
  upsert(item: T): KeyedList<T> {
    const key = this.spec.key(item);
    const old = this.get(key);
    if (old !== undefined && jsonEqual(old, item)) return this;
    const byKey = treePut(this.byKey, item, this.keySeek(key));
    if (old === undefined) return new KeyedList(this.spec, treePut(this.inOrder, item, this.orderSeek(item)), byKey, {});
    // Its place changes only when what it is ordered by changed.
    const rest = this.compare(old, item) === 0 ? this.inOrder : treeRemove(this.inOrder, this.orderSeek(old));
    return new KeyedList(this.spec, treePut(rest, item, this.orderSeek(item)), byKey, this.members);
  }

  /** The list without the item with `key` (this list when there is none). */
  remove(key: string): KeyedList<T> {
    const old = this.get(key);
    if (old === undefined) return this;
    return new KeyedList(this.spec, treeRemove(this.inOrder, this.orderSeek(old)), treeRemove(this.byKey, this.keySeek(key)), {});
  }

  /**
   * A list of `items` (a snapshot; the last of equal keys wins), keeping this list's object for
   * each item that is equal to it; this list itself when nothing changed.
   */
  replaceAll(items: Iterable<T>): KeyedList<T> {
    const next = new Map<string, T>();
    for (const item of items) {
      const key = this.spec.key(item);
      const old = this.get(key);
      next.set(key, old !== undefined && jsonEqual(old, item) ? old : item);
    }
    const sameMembers = next.size === this.size && [...next.keys()].every((key) => this.get(key) !== undefined);
    if (sameMembers && [...next].every(([key, item]) => this.get(key) === item)) return this;
    const byKey = [...next].sort(([a], [b]) => byCodeUnit(a, b)).map(([, item]) => item);
    const inOrder = [...byKey].sort((a, b) => this.compare(a, b));
    return new KeyedList(this.spec, treeFromSorted(inOrder), treeFromSorted(byKey), sameMembers ? this.members : {});
  }

  toArray(): readonly T[] {
    this.array ??= treeItems(this.inOrder);
    return this.array;
  }

  [Symbol.iterator](): Iterator<T> {
    return this.toArray()[Symbol.iterator]();
  }

  private compare(a: T, b: T): number {
    return this.spec.order(a, b) || byCodeUnit(this.spec.key(a), this.spec.key(b));
  }

  private orderSeek(target: T): Seek<T> {
    return (item) => this.compare(target, item);
  }

  private keySeek(key: string): Seek<T> {
    return (item) => byCodeUnit(key, this.spec.key(item));
  }
}
