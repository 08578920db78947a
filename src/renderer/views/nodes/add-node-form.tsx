import { DialogHeader } from "../../components/dialog-header.js";
import { ErrorBox } from "../../components/error-box.js";
import { FormActions } from "../../components/form-actions.js";
import { FormSection } from "../../components/form-section.js";
import { RevealOnMount } from "../../components/reveal-on-mount.js";
import { SpinnerIcon } from "../../components/icons.js";
import { TextField } from "../../components/text-field.js";
import { installSourceHint } from "../../lib/node-defaults.js";
import { SshConfigPicker } from "./ssh-config-picker.js";
import { TestOutcome } from "./test-outcome.js";
import { useAddNodeForm } from "./use-add-node-form.js";

/** The Add node form: connection and install fields, the test's outcome, and Test / Save. */
export function AddNodeForm({ titleId, onClose }: { readonly titleId: string; readonly onClose: () => void }) {
  const form = useAddNodeForm(onClose);
  const { field, passed, trusted, testing, saving, saveError } = form;

  return (
    <form noValidate onSubmit={form.submit} aria-busy={testing || saving} className="flex max-h-[88dvh] flex-col">
      <DialogHeader
        titleId={titleId}
        title="Add node"
        description="A machine you reach with SSH; rbee installs itself there from a git repository."
        onClose={onClose}
      />

      <div className="min-h-0 flex-1 space-y-4 overflow-y-auto px-5 py-4">
        <SshConfigPicker onPick={form.importHost} />
        <FormSection legend="Connection">
          <TextField className="col-span-6 sm:col-span-2" label="Node name" placeholder="gpu-box" autoFocus {...field("node_name")} />
          <TextField className="col-span-4 sm:col-span-3" label="SSH host" placeholder="gpu-box.home.arpa" {...field("ssh_host")} />
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
        </FormSection>

        <FormSection legend="Install">
          <TextField
            className="col-span-6"
            label="Git repository URL"
            placeholder="https://github.com/you/rbee.git"
            hint={installSourceHint(form.installSource)}
            {...field("git_repo_url")}
          />
          <TextField className="col-span-6 sm:col-span-2" label="Git branch" placeholder="main" {...field("git_branch")} />
          <TextField
            className="col-span-6 sm:col-span-4"
            label="Install path"
            hint="Where rbee is cloned on the node."
            placeholder="~/rbee"
            {...field("install_path")}
          />
        </FormSection>

        <TestOutcome test={form.test} passed={passed} stale={form.stale} trusted={trusted} onTrustedChange={form.setTrusted} />
        {saveError ? (
          <RevealOnMount>
            <ErrorBox text={saveError} title={`Could not save: ${saveError.title}`} />
          </RevealOnMount>
        ) : null}
      </div>

      <FormActions>
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
        <button type="button" className="btn-secondary" disabled={testing} onClick={() => void form.runTest()}>
          {testing ? <SpinnerIcon className="size-4" /> : null}
          {testing ? "Testing…" : "Test connection"}
        </button>
        <button type="button" className="btn-primary" disabled={!form.canSave} onClick={() => void form.save()}>
          {saving ? <SpinnerIcon className="size-4" /> : null}
          {saving ? "Saving…" : "Save"}
        </button>
      </FormActions>
    </form>
  );
}
