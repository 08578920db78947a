import { useEffect, useRef, useState, type FormEvent } from "react";
import { RbeeError } from "../../../shared/contract/errors.js";
import type { SshNodeRequest, TestNodeResponse } from "../../../shared/contract/nodes.js";
import type { SshConfigHost } from "../../../shared/contract/ssh-config.js";
import { useNotify } from "../../components/notices.js";
import { revealField } from "../../components/reveal-field.js";
import { describeError, type ErrorText } from "../../lib/error-text.js";
import { applyNodeDefaults } from "../../lib/node-defaults.js";
import {
  detailsToFieldErrors,
  EMPTY_NODE_FORM,
  firstErrorField,
  formFromSshHost,
  formToRequest,
  validateNodeForm,
  type NodeFormErrors,
  type NodeFormField,
  type NodeFormValues,
} from "../../lib/node-form.js";
import { useApi } from "../../state/fleet-context.js";
import { useNodeDefaults } from "./use-node-defaults.js";

/** Where the connection test is; a result holds only for the exact values that were tested (`key`). */
export type TestState =
  | { readonly kind: "idle" }
  | { readonly kind: "testing"; readonly key: string }
  | { readonly kind: "passed"; readonly key: string; readonly result: TestNodeResponse }
  | { readonly kind: "failed"; readonly error: ErrorText };

/** What a text field of the form is given. */
export interface NodeFieldProps {
  readonly id: string;
  readonly name: NodeFormField;
  readonly value: string;
  readonly error: string | undefined;
  readonly onChange: (value: string) => void;
}

// The identity of a request: a test result only holds for exactly the values that were tested.
function requestKey(request: SshNodeRequest): string {
  return JSON.stringify(request);
}

/**
 * The Add node form's state and its two calls: test the connection (which shows the host key),
 * then save with that key, which the queen then insists on. Errors land at their fields.
 */
export function useAddNodeForm(onSaved: () => void) {
  const api = useApi();
  const notify = useNotify();
  const [values, setValues] = useState<NodeFormValues>(EMPTY_NODE_FORM);
  const defaults = useNodeDefaults();
  // The fields the user typed in: the queen's defaults, when they arrive, leave those alone.
  const edited = useRef(new Set<NodeFormField>());
  const [showAllErrors, setShowAllErrors] = useState(false);
  const [serverErrors, setServerErrors] = useState<NodeFormErrors>({});
  const [test, setTest] = useState<TestState>({ kind: "idle" });
  const [trusted, setTrusted] = useState(false);
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<ErrorText | null>(null);
  // The field to bring on screen once its message is rendered; a new object for each Test or Save.
  const [toReveal, setToReveal] = useState<{ readonly field: NodeFormField } | null>(null);

  const request = formToRequest(values);
  const key = requestKey(request);
  const validation = validateNodeForm(values);
  const clientErrors = validation.ok ? {} : validation.errors;
  const passed = test.kind === "passed" && test.key === key ? test.result : null;
  const canSave = passed !== null && (passed.known || trusted) && !saving;
  const testing = test.kind === "testing" && test.key === key;

  // Messages appear after the first Test or Save, then follow the typing. Not on blur: a message
  // appearing on blur moves the buttons under a pointer that is pressing one of them.
  const errorOf = (field: NodeFormField): string | undefined =>
    serverErrors[field] ?? (showAllErrors ? clientErrors[field] : undefined);

  useEffect(() => {
    if (defaults) setValues((current) => applyNodeDefaults(current, defaults, edited.current));
  }, [defaults]);

  useEffect(() => {
    if (toReveal) revealField(`node-form-${toReveal.field}`);
  }, [toReveal]);

  const revealFirst = (errors: NodeFormErrors): void => {
    const field = firstErrorField(errors);
    if (field) setToReveal({ field });
  };

  const importHost = (host: SshConfigHost): void => {
    setValues((current) => formFromSshHost(current, host));
    setServerErrors({});
    setSaveError(null);
    setTest({ kind: "idle" });
  };

  const change = (field: NodeFormField, value: string): void => {
    edited.current.add(field);
    setValues((current) => ({ ...current, [field]: value }));
    setServerErrors(({ [field]: _dropped, ...rest }) => rest);
    setSaveError(null);
    setTest((current) => (current.kind === "failed" ? { kind: "idle" } : current));
  };

  const context = { host: request.ssh_host, port: request.ssh_port ?? 22, user: request.ssh_user };

  const failWith = (error: unknown, onOther: (text: ErrorText) => void): void => {
    if (error instanceof RbeeError && error.code === "INVALID_REQUEST" && error.details?.length) {
      const mapped = detailsToFieldErrors(error.details);
      setServerErrors(mapped);
      setShowAllErrors(true);
      revealFirst(mapped);
      // Every problem is shown at its field: a summary box would only repeat it.
      if (Object.keys(mapped).length === error.details.length) return;
    }
    if (error instanceof RbeeError && error.code === "NODE_EXISTS") {
      setServerErrors({ node_name: "a node with this name already exists" });
      setToReveal({ field: "node_name" });
      return;
    }
    onOther(describeError(error, context));
  };

  const runTest = async (): Promise<void> => {
    setShowAllErrors(true);
    setSaveError(null);
    if (!validation.ok) return revealFirst(validation.errors);
    setTest({ kind: "testing", key });
    setTrusted(false);
    try {
      const result = await api.testNode(validation.request);
      setTest({ kind: "passed", key, result });
    } catch (error) {
      failWith(error, (text) => setTest({ kind: "failed", error: text }));
      setTest((current) => (current.kind === "testing" ? { kind: "idle" } : current));
    }
  };

  const save = async (): Promise<void> => {
    if (!validation.ok || !passed) return;
    setSaving(true);
    setSaveError(null);
    try {
      // The queen refuses any key but the one the user just confirmed.
      const added = await api.addNode({
        ...validation.request,
        expected_host_key_fingerprint: passed.host_key_fingerprint,
      });
      notify({ tone: "success", title: `Added ${added.node.node_name}`, message: `Status: ${added.node.status}` });
      onSaved();
    } catch (error) {
      failWith(error, setSaveError);
    } finally {
      setSaving(false);
    }
  };

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    // Enter saves once the key is confirmed, and tests otherwise.
    if (canSave) void save();
    else if (!testing) void runTest();
  };

  const field = (name: NodeFormField): NodeFieldProps => ({
    id: `node-form-${name}`,
    name,
    value: values[name],
    error: errorOf(name),
    onChange: (value: string) => change(name, value),
  });

  return {
    field,
    /** Where the repository's default came from; null until the queen says. */
    installSource: defaults?.source ?? null,
    test,
    passed,
    /** A test passed, but for values since changed. */
    stale: test.kind === "passed" && passed === null,
    trusted,
    setTrusted,
    testing,
    saving,
    saveError,
    canSave,
    importHost,
    runTest,
    save,
    submit,
  };
}
