// The queen token is one of the Node-side secrets every program shares the handling of.
export { loadOrCreateSecretFile as loadOrCreateToken, newSecret, secretsEqual } from "../node-common/secrets.js";
