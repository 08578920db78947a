import { useEffect, useId, useState, type FormEvent, type InputHTMLAttributes } from "react";
import { RbeeError } from "../../shared/contract/errors.js";
import type { AddNodeRequest, TestNodeResponse } from "../../shared/contract/nodes.js";
import type { SshConfigHost } from "../../shared/contract/ssh-config.js";
import { ErrorBox } from "../components/error-box.js";
import { CheckIcon, CloseIcon, ImportIcon, KeyIcon, SpinnerIcon } from "../components/icons.js";
import { Modal } from "../components/modal.js";
import { useNotify } from "../components/notices.js";
import { describeError, type ErrorText } from "../lib/error-text.js";
import {
  detailsToFieldErrors,
  EMPTY_NODE_FORM,
  formFromSshHost,
  formToRequest,
  validateNodeForm,
  type NodeFormErrors,
  type NodeFormField,
  type NodeFormValues,
} from "../lib/node-form.js";
import { useApi } from "../state/fleet-context.js";

type TestState =
  | { readonly kind: "idle" }
  | { readonly kind: "testing"; readonly key: string }
  | { readonly kind: "passed"; readonly key: string; readonly result: TestNodeResponse }
  | { readonly kind: "failed"; readonly error: ErrorText };

/** The "Add node" dialog: fill in, test the connection, confirm the host key, save. */
export function AddNodeDialog({ open, onClose }: { readonly open: boolean; readonly onClose: () => void }) {
  const titleId = useId();
  return (
    <Modal open={open} onClose={onClose} labelledBy={titleId} className="mt-[6vh] max-w-2xl">
      <AddNodeForm titleId={titleId} onClose={onClose} />
    </Modal>
  );
}

// The identity of a request: a test result only holds for exactly the values that were tested.
function requestKey(request: AddNodeRequest): string {
  return JSON.stringify(request);
}

function AddNodeForm({ titleId, onClose }: { readonly titleId: string; readonly onClose: () => void }) {
  const api = useApi();
  const notify = useNotify();
  const [values, setValues] = useState<NodeFormValues>(EMPTY_NODE_FORM);
  const [showAllErrors, setShowAllErrors] = useState(false);
  const [serverErrors, setServerErrors] = useState<NodeFormErrors>({});
  const [test, setTest] = useState<TestState>({ kind: "idle" });
  const [trusted, setTrusted] = useState(false);
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<ErrorText | null>(null);

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

  const importHost = (host: SshConfigHost): void => {
    setValues((current) => formFromSshHost(current, host));
    setServerErrors({});
    setSaveError(null);
    setTest({ kind: "idle" });
  };

  const change = (field: NodeFormField, value: string): void => {
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
      // Every problem is shown at its field: a summary box would only repeat it.
      if (Object.keys(mapped).length === error.details.length) return;
    }
    if (error instanceof RbeeError && error.code === "NODE_EXISTS") {
      setServerErrors({ node_name: "a node with this name already exists" });
      return;
    }
    onOther(describeError(error, context));
  };

  const runTest = async (): Promise<void> => {
    setShowAllErrors(true);
    setSaveError(null);
    if (!validation.ok) return;
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
      onClose();
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

  const field = (name: NodeFormField) => ({
    name,
    value: values[name],
    error: errorOf(name),
    onChange: (value: string) => change(name, value),
  });

  return (
    <form noValidate onSubmit={submit} aria-busy={testing || saving} className="flex max-h-[88dvh] flex-col">
      <div className="flex shrink-0 items-start justify-between gap-4 border-b border-zinc-200 px-5 py-3.5 dark:border-zinc-800">
        <div>
          <h2 id={titleId} className="text-base font-semibold">
            Add node
          </h2>
          <p className="mt-0.5 text-sm text-zinc-500 dark:text-zinc-400">
            A machine you reach with SSH; rbee installs itself there from a git repository.
          </p>
        </div>
        <button type="button" className="btn-ghost -mr-2" aria-label="Close" onClick={onClose}>
          <CloseIcon className="size-4" />
        </button>
      </div>

      <div className="min-h-0 flex-1 space-y-4 overflow-y-auto px-5 py-4">
        <SshConfigPicker onPick={importHost} />
        <fieldset className="grid grid-cols-6 gap-x-3 gap-y-3">
          <legend className="mb-2 text-[11px] font-semibold tracking-wide text-zinc-500 uppercase dark:text-zinc-400">
            Connection
          </legend>
          <TextField
            className="col-span-6 sm:col-span-2"
            label="Node name"
            placeholder="gpu-box"
            autoFocus
            {...field("node_name")}
          />
          <TextField
            className="col-span-4 sm:col-span-3"
            label="SSH host"
            placeholder="gpu-box.home.arpa"
            {...field("ssh_host")}
          />
          <TextField className="col-span-2 sm:col-span-1" label="SSH port" inputMode="numeric" placeholder="22" {...field("ssh_port")} />
          <TextField className="col-span-6 sm:col-span-2" label="SSH user" placeholder="vince" {...field("ssh_user")} />
          <TextField
            className="col-span-6 sm:col-span-4"
            label="SSH key path"
            optional
            hint="Leave empty to use your ssh-agent."
            placeholder="~/.ssh/id_ed25519"
            {...field("ssh_key_path")}
          />
          <TextField
            className="col-span-6 sm:col-span-3"
            label="Key passphrase"
            optional
            type="password"
            hint="Only for an encrypted key. Kept encrypted by your OS keychain, never shown again."
            {...field("ssh_key_passphrase")}
          />
        </fieldset>

        <fieldset className="grid grid-cols-6 gap-x-3 gap-y-3">
          <legend className="mb-2 text-[11px] font-semibold tracking-wide text-zinc-500 uppercase dark:text-zinc-400">
            Install
          </legend>
          <TextField
            className="col-span-6 sm:col-span-4"
            label="Git repository URL"
            placeholder="https://github.com/you/rbee.git"
            {...field("git_repo_url")}
          />
          <TextField className="col-span-6 sm:col-span-2" label="Git branch" placeholder="main" {...field("git_branch")} />
          <TextField
            className="col-span-6"
            label="Install path"
            hint="Where rbee is cloned on the node."
            placeholder="~/rbee"
            {...field("install_path")}
          />
        </fieldset>

        <TestOutcome
          test={test}
          passed={passed}
          stale={test.kind === "passed" && passed === null}
          trusted={trusted}
          onTrustedChange={setTrusted}
        />
        {saveError ? <ErrorBox text={saveError} title={`Could not save: ${saveError.title}`} /> : null}
      </div>

      <div className="flex shrink-0 items-center justify-end gap-2 border-t border-zinc-200 bg-zinc-50 px-5 py-3 dark:border-zinc-800 dark:bg-zinc-900/60">
        <p className="mr-auto text-xs text-zinc-500 dark:text-zinc-400">
          {passed
            ? passed.known || trusted
              ? "Ready to save."
              : "Confirm the host key to enable Save."
            : "Test the connection to enable Save."}
        </p>
        <button type="button" className="btn-secondary" onClick={onClose}>
          Cancel
        </button>
        <button type="button" className="btn-secondary" disabled={testing} onClick={() => void runTest()}>
          {testing ? <SpinnerIcon className="size-4" /> : null}
          {testing ? "Testing…" : "Test connection"}
        </button>
        <button type="button" className="btn-primary" disabled={!canSave} onClick={() => void save()}>
          {saving ? <SpinnerIcon className="size-4" /> : null}
          {saving ? "Saving…" : "Save"}
        </button>
      </div>
    </form>
  );
}

/**
 * Offers the hosts of the user's `~/.ssh/config` (on the queen's machine): picking one fills the
 * connection fields as ssh itself would connect. Hidden when there is none.
 */
function SshConfigPicker({ onPick }: { readonly onPick: (host: SshConfigHost) => void }) {
  const api = useApi();
  const selectId = useId();
  const [hosts, setHosts] = useState<readonly SshConfigHost[] | null>(null);
  const [picked, setPicked] = useState("");

  useEffect(() => {
    let live = true;
    api.sshConfigHosts().then(
      (found) => live && setHosts(found),
      () => live && setHosts([]),
    );
    return () => {
      live = false;
    };
  }, [api]);

  if (!hosts || hosts.length === 0) return null;
  return (
    <div className="flex flex-wrap items-center gap-x-3 gap-y-1.5 rounded-lg border border-dashed border-zinc-300 px-3 py-2.5 dark:border-zinc-700">
      <label htmlFor={selectId} className="flex items-center gap-1.5 text-[13px] font-medium">
        <ImportIcon className="size-4 text-zinc-500" />
        Import from ~/.ssh/config
      </label>
      <select
        id={selectId}
        className="input h-8 w-auto min-w-56 flex-1"
        value={picked}
        onChange={(event) => {
          setPicked(event.target.value);
          const host = hosts.find((h) => h.alias === event.target.value);
          if (host) onPick(host);
        }}
      >
        <option value="">Choose a host ({hosts.length})…</option>
        {hosts.map((host) => (
          <option key={host.alias} value={host.alias}>
            {host.alias} — {host.ssh_user}@{host.ssh_host}
            {host.ssh_port === 22 ? "" : `:${host.ssh_port}`}
          </option>
        ))}
      </select>
    </div>
  );
}

function TestOutcome({
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
  const trustId = useId();
  if (test.kind === "failed") return <ErrorBox text={test.error} title={test.error.title} />;
  if (stale) {
    return (
      <p className="rounded-md border border-zinc-200 px-3 py-2 text-sm text-zinc-600 dark:border-zinc-800 dark:text-zinc-400">
        You changed the connection details: test again before saving.
      </p>
    );
  }
  if (!passed) return null;
  return (
    <section
      aria-label="Connection test result"
      className="rounded-lg border border-emerald-600/25 bg-emerald-50/70 p-3 text-sm dark:border-emerald-400/20 dark:bg-emerald-400/5"
    >
      <div className="flex flex-wrap items-center gap-x-4 gap-y-1">
        <span className="flex items-center gap-1.5 font-medium text-emerald-800 dark:text-emerald-300">
          <CheckIcon className="size-4" />
          <span>
            Connected in <span data-testid="test-latency">{Math.round(passed.latency_ms)} ms</span>
          </span>
        </span>
        <span className="flex min-w-0 items-center gap-1.5">
          <KeyIcon className="size-4 shrink-0 text-zinc-500" />
          <span className="text-zinc-600 dark:text-zinc-400">Host key</span>
          <code
            data-testid="host-key-fingerprint"
            className="font-mono text-[12.5px] break-all text-zinc-900 select-all dark:text-zinc-100"
          >
            {passed.host_key_fingerprint}
          </code>
        </span>
      </div>
      {passed.known ? (
        <p className="mt-2 text-xs text-zinc-600 dark:text-zinc-400">You already trust this key.</p>
      ) : (
        <div className="mt-2.5 rounded-md border border-amber-500/30 bg-amber-50 px-2.5 py-2 dark:bg-amber-400/5">
          <p className="text-xs text-zinc-700 dark:text-zinc-300">
            First connection to this host. On the machine,{" "}
            <code className="kbd">ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub</code> should print the same
            fingerprint.
          </p>
          <label htmlFor={trustId} className="mt-1.5 flex cursor-pointer items-center gap-2 text-sm font-medium">
            <input
              id={trustId}
              type="checkbox"
              checked={trusted}
              onChange={(event) => onTrustedChange(event.target.checked)}
              className="size-4 accent-amber-500"
            />
            I checked this fingerprint and trust this host
          </label>
        </div>
      )}
    </section>
  );
}

type TextFieldProps = {
  readonly name: NodeFormField;
  readonly label: string;
  readonly value: string;
  readonly error: string | undefined;
  readonly onChange: (value: string) => void;
  readonly hint?: string;
  readonly optional?: boolean;
  readonly className?: string;
} & Pick<InputHTMLAttributes<HTMLInputElement>, "placeholder" | "inputMode" | "autoFocus" | "type">;

function TextField({ name, label, value, error, onChange, hint, optional, className, ...input }: TextFieldProps) {
  const id = `node-form-${name}`;
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = error ? errorId : hint ? hintId : undefined;
  return (
    <div className={className}>
      <div className="mb-1 flex items-baseline gap-1.5">
        <label htmlFor={id} className="text-[13px] font-medium">
          {label}
        </label>
        {optional ? <span className="text-xs text-zinc-400 dark:text-zinc-500">optional</span> : null}
      </div>
      <input
        id={id}
        name={name}
        type="text"
        value={value}
        onChange={(event) => onChange(event.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy}
        autoComplete="off"
        autoCapitalize="off"
        spellCheck={false}
        className="input"
        {...input}
      />
      {error ? (
        <p id={errorId} className="mt-1 text-xs text-red-600 dark:text-red-400">
          {error}
        </p>
      ) : hint ? (
        <p id={hintId} className="mt-1 text-xs text-zinc-500 dark:text-zinc-400">
          {hint}
        </p>
      ) : null}
    </div>
  );
}
