import type { TestNodeResponse } from "../../../shared/contract/nodes.js";
import { ErrorBox } from "../../components/error-box.js";
import { RevealOnMount } from "../../components/reveal-on-mount.js";
import { TestPassed } from "./test-passed.js";
import type { TestState } from "./use-add-node-form.js";

/** Under the fields: why the test failed, that it no longer holds, or what it found; brought on screen when it appears. */
export function TestOutcome({
  test,
  passed,
  stale,
  trusted,
  onTrustedChange,
}: {
  readonly test: TestState;
  readonly passed: TestNodeResponse | null;
  readonly stale: boolean;
  readonly trusted: boolean;
  readonly onTrustedChange: (trusted: boolean) => void;
}) {
  if (test.kind === "failed") {
    return (
      <RevealOnMount>
        <ErrorBox text={test.error} title={test.error.title} />
      </RevealOnMount>
    );
  }
  if (stale) {
    return (
      <p className="rounded-md border border-zinc-200 px-3 py-2 text-sm text-zinc-600 dark:border-zinc-800 dark:text-zinc-400">
        You changed the connection details: test again before saving.
      </p>
    );
  }
  if (!passed) return null;
  return (
    <RevealOnMount>
      <TestPassed result={passed} trusted={trusted} onTrustedChange={onTrustedChange} />
    </RevealOnMount>
  );
}
