export * from "./api.js";
export * from "./errors.js";
export * from "./embeddings.js";
export * from "./engines.js";
export * from "./events.js";
export * from "./grammar.js";
export * from "./fleet-models.js";
export * from "./fleet-stats.js";
export * from "./hive.js";
export * from "./inference.js";
export * from "./ipc-channels.js";
export * from "./logs.js";
export * from "./nodes.js";
export * from "./ssh-config.js";
export * from "./streams.js";
export * from "./workers.js";

/** The product version every program reports. */
export const RBEE_VERSION = "0.1.0";
