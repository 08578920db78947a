// Reading a Prometheus exposition in tests through parse-prometheus-text-format (a maintained
// parser, prom2json's shape). It flattens a histogram's series into one and drops their labels, so
// a labelled histogram is read one label set at a time: its lines of that set, those labels removed.
import parsePrometheusTextFormat, { type PrometheusFamily, type PrometheusSample } from "parse-prometheus-text-format";

/** Every family of the exposition. */
export function parseMetrics(text: string): PrometheusFamily[] {
  return parsePrometheusTextFormat(text);
}

/** The samples of one family; fails naming what is there when it is absent. */
export function samplesOf(families: readonly PrometheusFamily[], name: string): readonly PrometheusSample[] {
  const family = families.find((candidate) => candidate.name === name);
  if (!family) throw new Error(`the exposition has no ${name} (it has ${families.map((f) => f.name).join(", ")})`);
  return family.metrics;
}

/** The sum of a family's samples whose labels include `labels`. */
export function sumOf(families: readonly PrometheusFamily[], name: string, labels: Readonly<Record<string, string>> = {}): number {
  return samplesOf(families, name)
    .filter((sample) => Object.entries(labels).every(([key, value]) => sample.labels?.[key] === value))
    .reduce((sum, sample) => sum + Number(sample.value ?? 0), 0);
}

/** One series of a histogram, named by all its labels but `le`: its count, sum and buckets; undefined when it has none. */
export function histogramOf(
  text: string,
  name: string,
  labels: Readonly<Record<string, string>>,
): { readonly count: number; readonly sum: number; readonly buckets: Readonly<Record<string, string>> } | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}=${JSON.stringify(value)}`);
  const lines = text.split("\n").filter((line) => line.startsWith(`# HELP ${name} `) || line.startsWith(`# TYPE ${name} `) || isSeriesOf(line, name, wanted));
  const stripped = lines.map((line) => wanted.reduce((out, pair) => out.replace(new RegExp(`(?<=[{,])${escape(pair)},?`), ""), line).replace(/,?}/, "}").replace("{}", ""));
  const sample = parseMetrics(stripped.join("\n") + "\n").find((family) => family.name === name)?.metrics[0];
  if (sample?.count === undefined) return undefined;
  return { count: Number(sample.count), sum: Number(sample.sum), buckets: sample.buckets ?? {} };
}

function isSeriesOf(line: string, name: string, wanted: readonly string[]): boolean {
  if (!/^[a-z_]+/.test(line) || !["_bucket", "_sum", "_count"].some((suffix) => line.startsWith(`${name}${suffix}{`))) return false;
  const labels = line.slice(line.indexOf("{") + 1, line.lastIndexOf("}"));
  return wanted.every((pair) => labels.split(/,(?=[a-z_]+=)/).includes(pair));
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
