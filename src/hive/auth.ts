// The hive's tokens are handled like every program's secrets.
export { bearerToken, secretsEqual } from "../node-common/secrets.js";
