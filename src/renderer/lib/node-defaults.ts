import type { NodeDefaultsResponse } from "../../shared/contract/nodes.js";
import type { NodeFormField, NodeFormValues } from "./node-form.js";

/** The form with the queen's install defaults in the install fields the user has not typed in. */
export function applyNodeDefaults(values: NodeFormValues, defaults: NodeDefaultsResponse, edited: ReadonlySet<NodeFormField>): NodeFormValues {
  const offered: Partial<Record<NodeFormField, string>> = {
    ...(defaults.git_repo_url !== null ? { git_repo_url: defaults.git_repo_url } : {}),
    git_branch: defaults.git_branch,
    install_path: defaults.install_path,
  };
  const next = { ...values };
  for (const [field, value] of Object.entries(offered) as [NodeFormField, string][]) {
    if (!edited.has(field)) next[field] = value;
  }
  return next;
}

const CHECKOUT = "file:///path/to/checkout also works, for a checkout the node can read.";

/** The line under the repository field: where its default came from, and that a local checkout works too. */
export function installSourceHint(source: NodeDefaultsResponse["source"] | null): string {
  if (source === "origin") return `From this installation's git origin. ${CHECKOUT}`;
  if (source === "package") return `From the repository this installation's package.json names. ${CHECKOUT}`;
  return CHECKOUT.replace(" also", "");
}
