import { assertNever, ErrorCode, RbeeError } from "../../shared/contract/errors.js";

/** An error as the user reads it: a short title, the queen's own sentence, and what to do. */
export interface ErrorText {
  readonly title: string;
  readonly message: string;
  readonly hint: string | null;
}

/** Context for hints that name the machine the user was talking to. */
export interface ErrorContext {
  readonly host?: string;
  readonly port?: number;
  readonly user?: string;
}

/** Explains any error thrown by the API in words, with SSH failures told apart. */
export function describeError(error: unknown, context: ErrorContext = {}): ErrorText {
  const rbee = error instanceof RbeeError ? error : new RbeeError("INTERNAL", messageOf(error));
  if (rbee.code === "SSH_FAILED") return describeSsh(rbee.message, context);
  if (rbee.code === "INTERNAL" && /reach the queen|link to the queen/i.test(rbee.message)) {
    return {
      title: "The queen is not answering",
      message: rbee.message,
      hint: "Check that queen-rbee (or the rbee app) is still running, then try again.",
    };
  }
  return { title: titleOf(rbee.code), message: rbee.message, hint: hintOf(rbee.code) };
}

/** An error that arrived as `{code, message}` (a stream's `error` event, a stored answer) in words. */
export function describeCodedError(error: { readonly code: string; readonly message: string }, context: ErrorContext = {}): ErrorText {
  const code = ErrorCode.safeParse(error.code);
  return describeError(new RbeeError(code.success ? code.data : "INTERNAL", error.message), context);
}

function describeSsh(message: string, { host, port, user }: ErrorContext): ErrorText {
  const where = host ? `${host}${port ? `:${port}` : ""}` : "the node";
  const m = message.toLowerCase();
  if (/one you confirmed/.test(m)) {
    return {
      title: "Host key changed since the test",
      message,
      hint: `${where} now presents another key than the fingerprint you confirmed. Test again and compare.`,
    };
  }
  if (/host key|mismatch|changed/.test(m)) {
    return {
      title: "Host key changed",
      message,
      hint:
        `The key ${where} presents is not the one you trusted before. If the machine was reinstalled, ` +
        "remove its line from known_hosts in RBEE_HOME; otherwise do not connect.",
    };
  }
  // Nothing was offered to the node, so it refused nothing: the fix is on this computer.
  if (/no key file was given and (no ssh-agent|the ssh-agent holds no key)/.test(m)) {
    return {
      title: "No key to log in with",
      message,
      hint: "Give the path of your private key, or start ssh-agent on this computer and ssh-add your key.",
    };
  }
  if (/authenticat|refused the key|permission denied|passphrase/.test(m)) {
    return {
      title: "Key not accepted",
      message,
      hint:
        `The node refused the key${user ? ` for user ${user}` : ""}. Check the key path, or add its public key ` +
        "to ~/.ssh/authorized_keys on the node.",
    };
  }
  if (/connection refused|econnrefused/.test(m)) {
    return {
      title: "Connection refused",
      message,
      hint: `Nothing accepts SSH connections at ${where}. Check the host, the port and that sshd runs there.`,
    };
  }
  if (/not found|enotfound|getaddrinfo|eai_again/.test(m)) {
    return {
      title: "Host not found",
      message,
      hint: `The name ${host ?? ""} does not resolve from this computer. Check the spelling, or use its IP address.`,
    };
  }
  if (/timed? ?out|timeout|etimedout|unreachable|no route|reset/.test(m)) {
    return {
      title: "No answer from the node",
      message,
      hint: `${where} did not answer. Check that the machine is on and reachable from this computer.`,
    };
  }
  return { title: "SSH connection failed", message, hint: null };
}

function titleOf(code: ErrorCode): string {
  switch (code) {
    case "UNAUTHORIZED":
      return "Not authorized";
    case "FORBIDDEN":
      return "Not allowed";
    case "INVALID_REQUEST":
      return "Some fields are not valid";
    case "NODE_NOT_FOUND":
      return "Node not found";
    case "WORKER_NOT_FOUND":
      return "Worker not found";
    case "JOB_NOT_FOUND":
      return "Job not found";
    case "STREAM_NOT_FOUND":
      return "Already finished";
    case "NODE_EXISTS":
      return "Name already taken";
    case "WORKER_CONFLICT":
      return "Worker conflict";
    case "SSH_FAILED":
      return "SSH connection failed";
    case "NO_CAPACITY":
      return "No capacity";
    case "BACKEND_UNAVAILABLE":
      return "Backend unavailable";
    case "MODEL_NOT_FOUND":
      return "Model not found";
    case "DOWNLOAD_FAILED":
      return "Download failed";
    case "MODEL_IN_USE":
      return "Model in use";
    case "COPY_FAILED":
      return "Copy failed";
    case "PAYLOAD_TOO_LARGE":
      return "Request too large";
    case "WORKER_FAILED":
      return "Worker failed";
    case "ROUTE_NOT_FOUND":
      return "Not available on this queen";
    case "NOT_INSTALLED":
      return "Not installed on the node";
    case "INSTALL_FAILED":
      return "Install failed";
    case "ENGINE_UNAVAILABLE":
      return "Engine unavailable";
    case "SHARD_LOST":
      return "A machine of the split model went away";
    case "INTERNAL":
      return "Something went wrong";
    default:
      return assertNever(code);
  }
}

function hintOf(code: ErrorCode): string | null {
  switch (code) {
    case "UNAUTHORIZED":
      return "Open the UI again with the link queen-rbee prints when it starts.";
    case "FORBIDDEN":
      return "Open the UI at the queen's own address (http://127.0.0.1:PORT or http://localhost:PORT), not through another host name.";
    case "NODE_EXISTS":
      return "Pick another name, or remove the existing node first.";
    case "NODE_NOT_FOUND":
    case "WORKER_NOT_FOUND":
      return "It may have been removed meanwhile; the list shows the current state.";
    case "NO_CAPACITY":
      return "Add a machine in Nodes and install rbee on it, or choose another node (or Any node): a worker starts on its own.";
    case "MODEL_NOT_FOUND":
      return "Check the model: a catalog alias (tinyllama), hf:org/repo/file.gguf, https://…/file.gguf, or file:/abs/path.gguf on the node.";
    case "DOWNLOAD_FAILED":
      return "The node could not download the model. Check its internet access (and HF_TOKEN for gated models), then try again: the download resumes.";
    case "MODEL_IN_USE":
      return "A worker has this model loaded. Stop that worker first (Workers → Stop), then remove the model.";
    case "COPY_FAILED":
      return "The copy broke or arrived damaged. Copy it again: it resumes where it stopped, and the file is checked on arrival.";
    case "BACKEND_UNAVAILABLE":
      return "That node has no such GPU backend. Choose cpu, or a node whose devices include it.";
    case "NOT_INSTALLED":
      return "Install rbee on the node first: Nodes → Install.";
    case "INSTALL_FAILED":
      return "The node needs git, Node.js 20+ and npm. Fix what the message says, then run Install again.";
    case "ENGINE_UNAVAILABLE":
      return "llama-server and rpc-server are built on the node from the llama.cpp source rbee ships: install what the message names there (cmake, a C++ compiler), then spawn again.";
    case "SHARD_LOST":
      return "One of the machines holding part of the model (or its rpc-server) stopped. Check that node in Nodes, then spawn the worker again.";
    case "WORKER_FAILED":
      return "The worker stopped answering. Try again: a fresh worker starts if needed; the Workers view shows what runs.";
    case "JOB_NOT_FOUND":
    case "STREAM_NOT_FOUND":
      return "The answer had already ended.";
    default:
      return null;
  }
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === "string") return error;
  return "Unexpected error";
}
