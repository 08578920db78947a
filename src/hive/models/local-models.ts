import { readFileSync, statSync } from "node:fs";
import { rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { LocalModel } from "../../shared/contract/index.js";

const CatalogFile = z.object({ version: z.literal(1), models: z.array(LocalModel.extend({ downloaded_unix: z.number().int() })) });
type CatalogEntry = z.infer<typeof CatalogFile>["models"][number];

/**
 * The hive's record of the models it downloaded (`RBEE_HOME/models/catalog.json`), keyed by the
 * canonical model_ref. Entries whose file vanished or changed size are not reported.
 */
export class LocalModels {
  private readonly path: string;
  private entries: CatalogEntry[];
  private writing: Promise<void> = Promise.resolve();

  constructor(modelsDir: string) {
    this.path = join(modelsDir, "catalog.json");
    this.entries = LocalModels.read(this.path);
  }

  private static read(path: string): CatalogEntry[] {
    try {
      const parsed = CatalogFile.safeParse(JSON.parse(readFileSync(path, "utf8")));
      return parsed.success ? parsed.data.models : [];
    } catch {
      return [];
    }
  }

  /** The entry for `modelRef` if its file is still there with the recorded size. */
  find(modelRef: string): LocalModel | undefined {
    const entry = this.entries.find((candidate) => candidate.model_ref === modelRef);
    return entry && LocalModels.present(entry) ? LocalModels.strip(entry) : undefined;
  }

  /** Every model present on disk. */
  list(): LocalModel[] {
    return this.entries.filter(LocalModels.present).map(LocalModels.strip);
  }

  /** Records a downloaded model (replacing an older entry of the same ref) and saves the catalog. */
  async add(model: LocalModel): Promise<void> {
    this.entries = [
      ...this.entries.filter((entry) => entry.model_ref !== model.model_ref),
      { ...model, downloaded_unix: Math.floor(Date.now() / 1000) },
    ];
    await this.save();
  }

  /** Forgets every entry of the file at `path` (it was removed) and saves the catalog. */
  async forgetPath(path: string): Promise<void> {
    this.entries = this.entries.filter((entry) => entry.path !== path);
    await this.save();
  }

  private async save(): Promise<void> {
    const snapshot = JSON.stringify({ version: 1, models: this.entries }, null, 2);
    // Writes are serialised and atomic (temp file + rename): a crash never leaves half a catalog.
    this.writing = this.writing.catch(() => undefined).then(async () => {
      const temp = `${this.path}.${process.pid}.tmp`;
      await writeFile(temp, `${snapshot}\n`);
      await rename(temp, this.path);
    });
    await this.writing;
  }

  private static present(entry: CatalogEntry): boolean {
    try {
      return statSync(entry.path).size === entry.size_bytes;
    } catch {
      return false;
    }
  }

  private static strip(entry: CatalogEntry): LocalModel {
    return { model_ref: entry.model_ref, path: entry.path, size_bytes: entry.size_bytes, sha256: entry.sha256 };
  }
}
