import { join } from "node:path";
import { rbeeHome } from "../node-common/home.js";
import { RbeeError } from "../shared/contract/index.js";

/**
 * The queen's 401 in words that say where this CLI took its token from and how to fix it. The queen
 * cannot know that (it only sees a wrong token); the CLI does: RBEE_TOKEN wins over RBEE_HOME/token,
 * the order queenConnection reads them in. Any other error passes through unchanged.
 */
export function explainRefusedToken(error: unknown, env: NodeJS.ProcessEnv, sentToken: boolean): unknown {
  // Without a token nothing was sent: that error is the CLI's own and says what to do already.
  if (!(error instanceof RbeeError) || error.code !== "UNAUTHORIZED" || !sentToken) return error;
  const file = join(rbeeHome(env), "token");
  const message = env.RBEE_TOKEN?.trim()
    ? `The queen refused the token in RBEE_TOKEN: unset RBEE_TOKEN to use the token in ${file}, or set it to the token in the queen's RBEE_HOME/token`
    : `The queen refused the token in ${file}: point RBEE_HOME at the queen's home, or set RBEE_TOKEN to the token in the queen's RBEE_HOME/token`;
  return new RbeeError("UNAUTHORIZED", message);
}
