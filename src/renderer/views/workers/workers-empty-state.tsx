import type { ReactNode } from "react";
import { EmptyState } from "../../components/empty-state.js";
import { CpuIcon } from "../../components/icons.js";
import { TextLink } from "../../components/text-link.js";

/** No worker runs: add a machine first, or spawn one (or let the chat start one). */
export function WorkersEmptyState({ noNodes, action }: { readonly noNodes: boolean; readonly action: ReactNode }) {
  return (
    <EmptyState icon={<CpuIcon className="size-6" />} title="No workers running" action={action}>
      {noNodes ? (
        <p>
          Workers run on your nodes. <TextLink href="#/nodes">Add a machine</TextLink> first.
        </p>
      ) : (
        <p>
          A worker holds one model in memory, ready to answer. Spawn one here, or just ask a model in{" "}
          <TextLink href="#/chat">Chat</TextLink>: a worker starts by itself and appears here the moment it has loaded.
        </p>
      )}
    </EmptyState>
  );
}
