import { NodeName } from "../shared/contract/index.js";
import { flagError, integerFlag, parseFlags, stringFlags } from "../node-common/flags.js";

/** What `rbee-hive` was asked to do. */
export type HiveCommand =
  | { readonly kind: "help" }
  | { readonly kind: "version" }
  | {
      readonly kind: "daemon";
      readonly host: string;
      readonly port: number;
      readonly callbackUrl?: string;
      readonly callbackToken?: string;
      readonly nodeName?: string;
      readonly workerBin?: string;
      readonly workerHeartbeatMs?: number;
    };

/** Usage text for `--help`. */
export const HIVE_USAGE = `Usage: rbee-hive daemon [options]

The pool manager of one node: spawns and stops llm-worker-rbee processes, provisions models and
reports devices over an HTTP API on loopback (the queen reaches it through SSH).

  --host HOST              loopback address to bind (default: 127.0.0.1)
  --port N                 port, 0 for a free one (default: 9200)
  --callback-url URL       the queen's callback base URL: worker callbacks are relayed there
  --token T                the queen's token for that callback (or RBEE_CALLBACK_TOKEN)
  --node-name NAME         this node's name in the queen's registry (added to relayed callbacks)
  --worker-bin PATH        the llm-worker-rbee script to run (default: the one next to this program)
  --worker-heartbeat-ms N  heartbeat interval the workers use (default: theirs, 5000)

Environment: RBEE_HOME (default ~/.rbee), RBEE_HIVE_TOKEN (else RBEE_HOME/hive-token is created),
RBEE_HF_ENDPOINT, HF_TOKEN, RBEE_MEMORY_LIMIT_BYTES (the RAM this node gives rbee), RBEE_LLAMA_CACHE
(where llama-server and ggml-rpc-server are built), RBEE_LLAMA_SERVER and RBEE_RPC_SERVER (installed
programs to use instead).
`;

/** Reads `rbee-hive`'s command line; throws INVALID_REQUEST naming the bad flag. */
export function parseHiveCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv = {}): HiveCommand {
  const flags = parseFlags(
    argv,
    {
      ...stringFlags("host", "port", "callback-url", "token", "node-name", "worker-bin", "worker-heartbeat-ms"),
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "V" },
    },
    { positionals: true },
  );
  const { positionals, text } = flags;
  if (flags.has("help")) return { kind: "help" };
  if (flags.has("version")) return { kind: "version" };
  if (positionals.length === 0) return { kind: "help" };
  if (positionals[0] !== "daemon" || positionals.length > 1) flagError(`unknown command "${positionals.join(" ")}": use rbee-hive daemon`);
  const nodeName = text("node-name");
  if (nodeName !== undefined && !NodeName.safeParse(nodeName).success) flagError(`--node-name must be 1-63 lowercase letters, digits or '-', got "${nodeName}"`);
  const callbackUrl = text("callback-url");
  const callbackToken = text("token") ?? env.RBEE_CALLBACK_TOKEN?.trim();
  const heartbeat = integerFlag("worker-heartbeat-ms", text("worker-heartbeat-ms"), 50, 3_600_000);
  const workerBin = text("worker-bin");
  return {
    kind: "daemon",
    host: text("host") ?? "127.0.0.1",
    port: integerFlag("port", text("port"), 0, 65535) ?? 9200,
    ...(callbackUrl !== undefined ? { callbackUrl } : {}),
    ...(callbackToken ? { callbackToken } : {}),
    ...(nodeName !== undefined ? { nodeName } : {}),
    ...(workerBin !== undefined ? { workerBin } : {}),
    ...(heartbeat !== undefined ? { workerHeartbeatMs: heartbeat } : {}),
  };
}

