import { round, type Summary } from "./stats.js";

/** The sections of the benchmark, in the order they run and print. */
export const SECTION_IDS = ["relay", "warm", "cold", "registry", "ui", "chat", "clients", "copy", "metrics", "split"] as const;
export type SectionId = (typeof SECTION_IDS)[number];

/** What the baseline of a figure is and what it measured in the same run. */
export interface Baseline {
  readonly label: string;
  readonly median: number;
  readonly p99: number;
}

/** One measured figure: median and tail over repeated runs, its baseline, and its target if any. */
export interface Figure {
  readonly id: string;
  readonly label: string;
  readonly unit: string;
  readonly median: number | null;
  /** The bad tail: p99 of a latency, 1st percentile of a rate. */
  readonly p99: number | null;
  readonly n: number;
  readonly baseline: Baseline | null;
  /** median / baseline median. */
  readonly ratio: number | null;
  readonly target: string | null;
  /** Whether the target is met; null without a target or without a measurement. */
  readonly met: boolean | null;
  readonly note?: string;
  /** Why this figure was not measured (its numbers are then null). */
  readonly skipped?: string;
}

/** One section's outcome. */
export interface SectionResult {
  readonly id: SectionId;
  readonly title: string;
  readonly status: "ok" | "skipped" | "failed";
  /** Why the section was skipped or failed. */
  readonly reason?: string;
  readonly seconds: number;
  readonly figures: readonly Figure[];
  readonly notes: readonly string[];
}

/** The whole run, as written to bench/results/latest.json. */
export interface BenchReport {
  readonly mode: "smoke" | "full";
  readonly started_at: string;
  readonly seconds: number;
  readonly machine: Record<string, string | number>;
  readonly settings: Record<string, string | number | boolean>;
  /** What was benchmarked: built from the working tree, or the last build and when. */
  readonly build: readonly string[];
  readonly sections: Record<SectionId, SectionResult>;
}

/** Builds a figure from a summary; `met` is decided by `check` on the figure's own numbers. */
export function figure(options: {
  readonly id: string;
  readonly label: string;
  readonly unit: string;
  readonly summary: Summary;
  readonly baseline?: { readonly label: string; readonly summary: Summary } | undefined;
  readonly target?: string | undefined;
  readonly check?: ((values: { median: number; p99: number; ratio: number | null }) => boolean) | undefined;
  readonly note?: string | undefined;
}): Figure {
  const { summary, baseline } = options;
  const exact = baseline && baseline.summary.median !== 0 ? summary.median / baseline.summary.median : null;
  // Judged on the ratio as printed, so that "0.95×" never reads as a miss of "≥ 0.95×".
  const ratio = exact === null || !Number.isFinite(exact) ? null : round(exact);
  const measured = Number.isFinite(summary.median);
  return {
    id: options.id,
    label: options.label,
    unit: options.unit,
    median: measured ? round(summary.median) : null,
    p99: Number.isFinite(summary.p99) ? round(summary.p99) : null,
    n: summary.n,
    baseline: baseline ? { label: baseline.label, median: round(baseline.summary.median), p99: round(baseline.summary.p99) } : null,
    ratio,
    target: options.target ?? null,
    met: options.check && measured ? options.check({ median: summary.median, p99: summary.p99, ratio }) : null,
    ...(options.note ? { note: options.note } : {}),
  };
}

/** A figure that could not be measured, with the reason. */
export function skippedFigure(id: string, label: string, unit: string, reason: string, target?: string): Figure {
  return { id, label, unit, median: null, p99: null, n: 0, baseline: null, ratio: null, target: target ?? null, met: null, skipped: reason };
}

function value(number: number | null, unit: string): string {
  if (number === null) return "—";
  const text = Math.abs(number) >= 1000 ? Math.round(number).toLocaleString("en-US") : String(number);
  return `${text} ${unit}`;
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** The results as Markdown tables, one per section, with the targets and whether they are met. */
export function markdownTables(report: BenchReport): string {
  const out: string[] = [];
  for (const id of SECTION_IDS) {
    const section = report.sections[id];
    out.push(`### ${section.title}`, "");
    if (section.status !== "ok") out.push(`**${section.status}**: ${section.reason ?? ""}`, "");
    if (section.figures.length > 0) {
      out.push("| figure | median | p99 | baseline (median) | ratio | target | met |", "|---|---:|---:|---|---:|---|:---:|");
      for (const f of section.figures) {
        if (f.skipped) {
          out.push(`| ${cell(f.label)} | — | — | — | — | ${cell(f.target ?? "")} | skipped: ${cell(f.skipped)} |`);
          continue;
        }
        const baseline = f.baseline ? `${value(f.baseline.median, f.unit)} (${f.baseline.label})` : "—";
        const met = f.met === null ? "" : f.met ? "yes" : "**no**";
        out.push(
          `| ${cell(f.label)} | ${value(f.median, f.unit)} | ${value(f.p99, f.unit)} | ${cell(baseline)} | ${f.ratio === null ? "—" : `${f.ratio}×`} | ${cell(f.target ?? "")} | ${met} |`,
        );
      }
      out.push("");
    }
    for (const note of section.notes) out.push(`- ${note}`);
    if (section.notes.length > 0) out.push("");
  }
  return out.join("\n");
}
