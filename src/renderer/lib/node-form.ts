import { fieldErrors, type FieldError } from "../../shared/contract/errors.js";
import { SshNodeRequest } from "../../shared/contract/nodes.js";

/** The fields of the "Add node" form, in display order. */
export const NODE_FORM_FIELDS = [
  "node_name",
  "ssh_host",
  "ssh_port",
  "ssh_user",
  "ssh_key_path",
  "ssh_key_passphrase",
  "git_repo_url",
  "git_branch",
  "install_path",
] as const;
export type NodeFormField = (typeof NODE_FORM_FIELDS)[number];

/** What the user typed, as text. */
export type NodeFormValues = Readonly<Record<NodeFormField, string>>;
/** One message per field that is wrong. */
export type NodeFormErrors = Partial<Record<NodeFormField, string>>;

export const EMPTY_NODE_FORM: NodeFormValues = {
  node_name: "",
  ssh_host: "",
  ssh_port: "22",
  ssh_user: "",
  ssh_key_path: "",
  ssh_key_passphrase: "",
  git_repo_url: "",
  git_branch: "main",
  install_path: "",
};

/** The request body the form describes: blanks of optional fields are left out so defaults apply. */
export function formToRequest(values: NodeFormValues): SshNodeRequest {
  const text = (field: NodeFormField): string => values[field].trim();
  const port = text("ssh_port");
  return {
    node_name: text("node_name"),
    ssh_host: text("ssh_host"),
    // Number("") is 0 and "22abc" is NaN: both fail the schema with a message, as they should.
    ...(port !== "" ? { ssh_port: /^\d+$/.test(port) ? Number(port) : Number.NaN } : {}),
    ssh_user: text("ssh_user"),
    ...(text("ssh_key_path") !== "" ? { ssh_key_path: text("ssh_key_path") } : {}),
    // A passphrase is taken exactly as typed: spaces may be part of it.
    ...(values.ssh_key_passphrase !== "" ? { ssh_key_passphrase: values.ssh_key_passphrase } : {}),
    git_repo_url: text("git_repo_url"),
    ...(text("git_branch") !== "" ? { git_branch: text("git_branch") } : {}),
    install_path: text("install_path"),
  };
}

/** Validates the form with the same schema the queen uses. */
export function validateNodeForm(
  values: NodeFormValues,
): { readonly ok: true; readonly request: SshNodeRequest } | { readonly ok: false; readonly errors: NodeFormErrors } {
  const request = formToRequest(values);
  const parsed = SshNodeRequest.safeParse(request);
  if (parsed.success) return { ok: true, request };
  const errors = detailsToFieldErrors(fieldErrors(parsed.error));
  // An empty field is simply missing: say so rather than quoting the pattern it fails.
  for (const field of REQUIRED_FIELDS) {
    if (values[field].trim() === "" && errors[field] !== undefined) errors[field] = "required";
  }
  return { ok: false, errors };
}

const REQUIRED_FIELDS: readonly NodeFormField[] = ["node_name", "ssh_host", "ssh_user", "git_repo_url", "install_path"];

/** Maps `[{field, message}]` details (from zod or from the queen) to the form's fields. */
export function detailsToFieldErrors(details: readonly FieldError[]): NodeFormErrors {
  const errors: NodeFormErrors = {};
  for (const { field, message } of details) {
    const name = field.split(".").pop() ?? field;
    if (isFormField(name) && errors[name] === undefined) errors[name] = friendlyMessage(name, message);
  }
  return errors;
}

function isFormField(name: string): name is NodeFormField {
  return (NODE_FORM_FIELDS as readonly string[]).includes(name);
}

// zod's type messages ("Invalid input: expected number, received NaN") say nothing to a user.
function friendlyMessage(field: NodeFormField, message: string): string {
  if (field === "ssh_port") return "must be a whole number from 1 to 65535";
  if (/expected string, received undefined/i.test(message)) return "required";
  if (/too big|<=/i.test(message)) return "is too long";
  return message;
}

/** A node name made from an ssh alias: lowercase, other characters as "-", within the name rules. */
export function nodeNameFromAlias(alias: string): string {
  return alias
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63)
    .replace(/-+$/, "");
}

/** The form filled from a host of `~/.ssh/config`; the install fields keep what the user typed. */
export function formFromSshHost(
  values: NodeFormValues,
  host: { readonly alias: string; readonly ssh_host: string; readonly ssh_port: number; readonly ssh_user: string; readonly ssh_key_path: string | null },
): NodeFormValues {
  return {
    ...values,
    node_name: nodeNameFromAlias(host.alias),
    ssh_host: host.ssh_host,
    ssh_port: String(host.ssh_port),
    ssh_user: host.ssh_user,
    ssh_key_path: host.ssh_key_path ?? "",
  };
}

/** The first field, in display order, that has a message: the one to bring on screen. */
export function firstErrorField(errors: NodeFormErrors): NodeFormField | null {
  return NODE_FORM_FIELDS.find((field) => errors[field] !== undefined) ?? null;
}
