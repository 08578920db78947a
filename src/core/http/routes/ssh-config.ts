import { Router } from "express";
import { readSshConfigHosts } from "../../ssh/ssh-config-import.js";

/**
 * `GET /v2/registry/ssh-config`: the concrete hosts of the queen user's `~/.ssh/config`, so that the
 * Add node form can be filled from a host the user already reaches with `ssh`. Read on each call:
 * the file is small and the user may have just edited it.
 */
export function sshConfigRoutes(read: () => ReturnType<typeof readSshConfigHosts> = () => readSshConfigHosts()): Router {
  const router = Router();
  router.get("/", (_req, res) => {
    res.json({ hosts: read() });
  });
  return router;
}
