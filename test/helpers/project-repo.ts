import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/**
 * A git repository of this project as it is in the working tree (tracked and new files, not
 * ignored ones), committed on branch `main`: what a node clones in the install tests.
 */
export function makeProjectRepo(dir: string): string {
  const root = resolve(".");
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: root })
    .toString()
    .split("\0")
    .filter(Boolean);
  mkdirSync(dir, { recursive: true });
  for (const file of files) {
    const target = join(dir, file);
    mkdirSync(dirname(target), { recursive: true });
    try {
      copyFileSync(join(root, file), target);
    } catch {
      // Deleted in the working tree but still in the index.
    }
  }
  const git = (...args: string[]) =>
    execFileSync("git", args, {
      cwd: dir,
      env: { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" },
    });
  git("init", "--quiet", "--initial-branch=main");
  git("add", "--all");
  git("commit", "--quiet", "-m", "rbee under test");
  return `file://${dir}`;
}

/** Adds an empty commit, so that an install has something new to fetch. */
export function commitAgain(dir: string): void {
  execFileSync("git", ["commit", "--quiet", "--allow-empty", "-m", "again"], {
    cwd: dir,
    env: { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" },
  });
}
