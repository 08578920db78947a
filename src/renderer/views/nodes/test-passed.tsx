import type { TestNodeResponse } from "../../../shared/contract/nodes.js";
import { HostKeyTrust } from "./host-key-trust.js";
import { TestSummary } from "./test-summary.js";

/** A passed connection test: how fast, the host key, and (for a host never seen) the box to trust it. */
export function TestPassed({
  result,
  trusted,
  onTrustedChange,
}: {
  readonly result: TestNodeResponse;
  readonly trusted: boolean;
  readonly onTrustedChange: (trusted: boolean) => void;
}) {
  return (
    <section
      aria-label="Connection test result"
      className="rounded-lg border border-emerald-600/25 bg-emerald-50/70 p-3 text-sm dark:border-emerald-400/20 dark:bg-emerald-400/5"
    >
      <TestSummary latencyMs={result.latency_ms} fingerprint={result.host_key_fingerprint} />
      {result.known ? (
        <p className="mt-2 text-xs text-zinc-600 dark:text-zinc-400">You already trust this key.</p>
      ) : (
        <HostKeyTrust trusted={trusted} onTrustedChange={onTrustedChange} />
      )}
    </section>
  );
}
