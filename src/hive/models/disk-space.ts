import { statfs } from "node:fs/promises";

/** Bytes an unprivileged user can still write on the file system that holds `dir`. */
export async function freeDiskBytes(dir: string): Promise<number> {
  const stats = await statfs(dir);
  return Number(stats.bavail) * Number(stats.bsize);
}
