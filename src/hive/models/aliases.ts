// The catalog is part of the shared contract: the queen lists it, the renderer offers it, the hive resolves it.
export { MODEL_ALIASES, findAlias, type ModelAlias } from "../../shared/contract/model-catalog.js";
