/**
 * A persistent AVL tree with subtree sizes: every change answers a new root and shares all the
 * nodes off the changed path with the old one, so a change costs O(log n) and the old tree stays
 * valid (stores hand their states to React, which may still be reading the previous one). A tree
 * is searched with a `seek` function: negative when the wanted item sorts before the one given,
 * positive after, zero on it.
 */
export interface TreeNode<T> {
  readonly item: T;
  readonly left: Tree<T>;
  readonly right: Tree<T>;
  readonly height: number;
  readonly size: number;
}
export type Tree<T> = TreeNode<T> | null;
export type Seek<T> = (item: T) => number;

export const treeSize = <T>(tree: Tree<T>): number => (tree ? tree.size : 0);
const height = <T>(tree: Tree<T>): number => (tree ? tree.height : 0);

function node<T>(item: T, left: Tree<T>, right: Tree<T>): TreeNode<T> {
  return { item, left, right, height: 1 + Math.max(height(left), height(right)), size: 1 + treeSize(left) + treeSize(right) };
}

/** A node over two subtrees whose heights differ by at most two, rotated back into balance. */
function balanced<T>(item: T, left: Tree<T>, right: Tree<T>): TreeNode<T> {
  if (height(left) > height(right) + 1) {
    const l = left!;
    if (height(l.left) >= height(l.right)) return node(l.item, l.left, node(item, l.right, right));
    const lr = l.right!;
    return node(lr.item, node(l.item, l.left, lr.left), node(item, lr.right, right));
  }
  if (height(right) > height(left) + 1) {
    const r = right!;
    if (height(r.right) >= height(r.left)) return node(r.item, node(item, left, r.left), r.right);
    const rl = r.left!;
    return node(rl.item, node(item, left, rl.left), node(r.item, rl.right, r.right));
  }
  return node(item, left, right);
}

/** The tree with `item` in place of the one `seek` finds, or added where it sorts. */
export function treePut<T>(tree: Tree<T>, item: T, seek: Seek<T>): TreeNode<T> {
  if (!tree) return node(item, null, null);
  const side = seek(tree.item);
  if (side === 0) return node(item, tree.left, tree.right);
  return side < 0 ? balanced(tree.item, treePut(tree.left, item, seek), tree.right) : balanced(tree.item, tree.left, treePut(tree.right, item, seek));
}

/** The tree without the item `seek` finds (the same tree when there is none). */
export function treeRemove<T>(tree: Tree<T>, seek: Seek<T>): Tree<T> {
  if (!tree) return null;
  const side = seek(tree.item);
  if (side < 0) {
    const left = treeRemove(tree.left, seek);
    return left === tree.left ? tree : balanced(tree.item, left, tree.right);
  }
  if (side > 0) {
    const right = treeRemove(tree.right, seek);
    return right === tree.right ? tree : balanced(tree.item, tree.left, right);
  }
  if (!tree.left) return tree.right;
  if (!tree.right) return tree.left;
  const [first, rest] = withoutFirst(tree.right);
  return balanced(first, tree.left, rest);
}

/** A non-empty tree's first item, and the tree without it. */
function withoutFirst<T>(tree: TreeNode<T>): [T, Tree<T>] {
  if (!tree.left) return [tree.item, tree.right];
  const [first, left] = withoutFirst(tree.left);
  return [first, balanced(tree.item, left, tree.right)];
}

/** The item `seek` finds, if any. */
export function treeFind<T>(tree: Tree<T>, seek: Seek<T>): T | undefined {
  let at = tree;
  while (at) {
    const side = seek(at.item);
    if (side === 0) return at.item;
    at = side < 0 ? at.left : at.right;
  }
  return undefined;
}

/** The item at `index` in order (undefined out of range). */
export function treeAt<T>(tree: Tree<T>, index: number): T | undefined {
  let at = tree;
  let i = index;
  while (at) {
    const left = treeSize(at.left);
    if (i < left) at = at.left;
    else if (i === left) return at.item;
    else {
      i -= left + 1;
      at = at.right;
    }
  }
  return undefined;
}

/** A balanced tree over items already in order, in O(n). */
export function treeFromSorted<T>(items: readonly T[], from = 0, to = items.length): Tree<T> {
  if (from >= to) return null;
  const middle = (from + to) >>> 1;
  return node(items[middle]!, treeFromSorted(items, from, middle), treeFromSorted(items, middle + 1, to));
}

/** Every item in order. */
export function treeItems<T>(tree: Tree<T>): T[] {
  const out: T[] = [];
  const stack: TreeNode<T>[] = [];
  let at = tree;
  while (at || stack.length > 0) {
    while (at) {
      stack.push(at);
      at = at.left;
    }
    const next = stack.pop()!;
    out.push(next.item);
    at = next.right;
  }
  return out;
}
