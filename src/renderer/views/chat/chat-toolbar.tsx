import type { CatalogModel } from "../../../shared/contract/model-catalog.js";
import type { Beehive } from "../../../shared/contract/nodes.js";
import type { RegisteredWorker } from "../../../shared/contract/workers.js";
import { ModelInput } from "../../components/model-input.js";
import { Select, type SelectOption } from "../../components/select.js";
import type { ModelHolders } from "../../lib/model-holders.js";
import type { Conversation } from "../../state/conversations.js";
import { MaxTokensInput } from "./max-tokens-input.js";
import { ToolbarField } from "./toolbar-field.js";

/** What a conversation talks to: its model, the node (or any), and how long an answer may be. */
export function ChatToolbar({
  conversation,
  model,
  nodes,
  workers,
  catalog,
  holders,
  onChange,
}: {
  readonly conversation: Conversation;
  /** The model it sends to: the one chosen, or the only one loaded. */
  readonly model: string;
  readonly nodes: readonly Beehive[];
  readonly workers: readonly RegisteredWorker[];
  readonly catalog: readonly CatalogModel[];
  /** Which nodes hold each model's file, said under each choice of the model box. */
  readonly holders: ModelHolders;
  readonly onChange: (settings: Partial<Pick<Conversation, "model" | "node" | "max_tokens">>) => void;
}) {
  return (
    <div className="flex shrink-0 flex-wrap items-end gap-3 border-b border-zinc-200 bg-white px-4 py-2.5 dark:border-zinc-800 dark:bg-zinc-900">
      <ToolbarField label="Model" className="min-w-56 flex-1">
        <ModelInput workers={workers} catalog={catalog} holders={holders} aria-label="Model" value={model} onChange={(value) => onChange({ model: value })} />
      </ToolbarField>
      <ToolbarField label="Node" className="w-48">
        <Select
          aria-label="Node"
          options={nodeOptions(nodes, conversation.node)}
          value={conversation.node ?? ""}
          onChange={(node) => onChange({ node: node === "" ? null : node })}
        />
      </ToolbarField>
      <ToolbarField label="Max tokens" className="w-28">
        <MaxTokensInput value={conversation.max_tokens} onChange={(max_tokens) => onChange({ max_tokens })} />
      </ToolbarField>
    </div>
  );
}

// "Any node" lets the queen place the answer; a node removed since it was chosen stays shown as such.
function nodeOptions(nodes: readonly Beehive[], chosen: string | null): SelectOption[] {
  const options: SelectOption[] = [
    { value: "", label: "Any node" },
    ...nodes.map((node) => {
      const name = node.transport === "local" ? `${node.node_name} (this computer)` : node.node_name;
      return { value: node.node_name, label: node.status === "ready" || node.transport === "local" ? name : `${name} (${node.status})` };
    }),
  ];
  if (chosen !== null && !nodes.some((n) => n.node_name === chosen)) options.push({ value: chosen, label: `${chosen} (removed)` });
  return options;
}
