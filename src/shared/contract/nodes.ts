import { z } from "zod";
import { fieldWithDefault, optionalField } from "./optional.js";

/** Node names are safe everywhere: file names, shell words, URLs. */
export const NODE_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

// No value may start with "-" (it would read as an option) or carry control characters.
const NO_CONTROL = /^[^\u0000-\u001f\u007f]*$/;

export const NodeName = z
  .string()
  .regex(NODE_NAME_PATTERN, "use 1-63 lowercase letters, digits or '-', starting with a letter or digit");

export const SshHost = z
  .string()
  .min(1, "required")
  .max(253)
  .regex(/^(?!-)[A-Za-z0-9._:%[\]-]+$/, "must be a host name or an IP address");

export const SshUser = z
  .string()
  .min(1, "required")
  .max(64)
  .regex(/^[A-Za-z_][A-Za-z0-9._-]*$/, "must be a user name (letters, digits, '.', '_' or '-')");

export const SshPort = z.number().int("must be a whole number").min(1).max(65535);

export const FilePath = z
  .string()
  .min(1, "required")
  .max(1024)
  .regex(NO_CONTROL, "must not contain control characters")
  .refine((p) => p.startsWith("/") || p === "~" || p.startsWith("~/"), "must be absolute or start with ~/");

export const GitBranch = z
  .string()
  .min(1, "required")
  .max(200)
  .regex(/^(?!-)(?!.*\.\.)(?!.*\/\/)(?!\/)[A-Za-z0-9._/-]+(?<![./])$/, "must be a valid git branch name");

const GIT_URL_FORMS = [
  /^https:\/\/[A-Za-z0-9.-]+(:\d+)?\/[^\s]*$/,
  /^ssh:\/\/([A-Za-z0-9._-]+@)?[A-Za-z0-9.-]+(:\d+)?\/[^\s]*$/,
  /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\s]+$/,
  /^file:\/\/\/[^\s]*$/,
];

export const GitRepoUrl = z
  .string()
  .min(1, "required")
  .max(2048)
  .regex(NO_CONTROL, "must not contain control characters")
  .refine((url) => !url.startsWith("-") && GIT_URL_FORMS.some((form) => form.test(url)), {
    message: "must be https://…, ssh://…, user@host:path or file:///abs/path",
  });

export const NodeStatus = z.enum(["unknown", "reachable", "unreachable", "installing", "ready"]);
export type NodeStatus = z.infer<typeof NodeStatus>;

/** How the queen reaches a node: over SSH, or `local`: this computer, the queen's own machine. */
export const NodeTransport = z.enum(["ssh", "local"]);
export type NodeTransport = z.infer<typeof NodeTransport>;

/** The name the queen gives this computer when it adds it as a node on its first start. */
export const LOCAL_NODE_NAME = "local";

/** One row of the `beehives` table. */
export const Beehive = z.object({
  node_name: NodeName,
  ssh_host: z.string(),
  ssh_port: z.number().int(),
  ssh_user: z.string(),
  ssh_key_path: z.string().nullable(),
  git_repo_url: z.string(),
  git_branch: z.string(),
  install_path: z.string(),
  last_connected_unix: z.number().int().nullable(),
  status: NodeStatus,
  /** `local` nodes have no SSH or git: their SSH and git columns are empty. */
  transport: NodeTransport,
});
export type Beehive = z.infer<typeof Beehive>;

/** A node reached over SSH: the body of `POST /v2/registry/beehives/test`, and of `/add` without `transport`. */
export const SshNodeRequest = z.strictObject({
  transport: z.literal("ssh").optional(),
  node_name: NodeName,
  ssh_host: SshHost,
  ssh_port: fieldWithDefault(SshPort, 22),
  ssh_user: SshUser,
  ssh_key_path: optionalField(FilePath),
  git_repo_url: GitRepoUrl,
  git_branch: fieldWithDefault(GitBranch, "main"),
  install_path: FilePath,
  /** The passphrase of an encrypted key: kept only by the secret store, never in the registry. */
  ssh_key_passphrase: optionalField(z.string().min(1).max(1024)),
  /** The fingerprint the user confirmed after "Test connection": any other key is refused. */
  expected_host_key_fingerprint: optionalField(
    z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, "must be an OpenSSH SHA256: fingerprint"),
  ),
});
export type SshNodeRequest = z.input<typeof SshNodeRequest>;
export type NewSshNode = z.output<typeof SshNodeRequest>;

/**
 * This computer as a node: no SSH, no git, no install; its hive runs from the queen's own
 * installation. The empty SSH and git columns of its listed row are taken back, and nothing else.
 */
export const LocalNodeRequest = z.strictObject({
  transport: z.literal("local"),
  node_name: NodeName,
  ssh_host: z.literal("").optional(),
  ssh_port: z.literal(0).optional(),
  ssh_user: z.literal("").optional(),
  ssh_key_path: z.null().optional(),
  git_repo_url: z.literal("").optional(),
  git_branch: z.literal("").optional(),
  install_path: z.literal("").optional(),
});

/** Body of `POST /v2/registry/beehives/add`: an SSH node, or (`transport: "local"`) this computer. */
export const AddNodeRequest = z.discriminatedUnion("transport", [SshNodeRequest, LocalNodeRequest]);
export type AddNodeRequest = z.input<typeof AddNodeRequest>;
export type NewNode = z.output<typeof AddNodeRequest>;

export const AddNodeResponse = z.object({ node: Beehive, host_key_fingerprint: z.string().nullable() });
export type AddNodeResponse = z.infer<typeof AddNodeResponse>;

export const TestNodeResponse = z.object({
  ok: z.literal(true),
  host_key_fingerprint: z.string(),
  known: z.boolean(),
  latency_ms: z.number(),
});
export type TestNodeResponse = z.infer<typeof TestNodeResponse>;

/** `GET /v2/registry/beehives/defaults`: what the Add node form and `setup add-node` start from. */
export const NodeDefaultsResponse = z.object({
  /** This installation's git origin, or the repository package.json names; null when it has neither. */
  git_repo_url: z.string().nullable(),
  git_branch: z.string(),
  install_path: z.string(),
  /** Where `git_repo_url` came from. */
  source: z.enum(["origin", "package", "none"]),
});
export type NodeDefaultsResponse = z.infer<typeof NodeDefaultsResponse>;

export const ListNodesResponse = z.object({ nodes: z.array(Beehive) });
export type ListNodesResponse = z.infer<typeof ListNodesResponse>;

export const NodeNameRequest = z.strictObject({ node_name: NodeName });
export type NodeNameRequest = z.infer<typeof NodeNameRequest>;

export const RemoveNodeResponse = z.object({ removed: z.literal(true) });
