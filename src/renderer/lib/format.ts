const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB"] as const;

/** A byte count in binary units ("7.4 GiB"), or "—" when unknown. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return "—";
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${BYTE_UNITS[unit]}`;
}

/** How long ago a unix time was, in words a person reads at a glance ("3 min ago"), or "never". */
export function relativeTime(unixSeconds: number | null | undefined, nowMs: number): string {
  if (unixSeconds === null || unixSeconds === undefined) return "never";
  const seconds = Math.round(nowMs / 1000 - unixSeconds);
  if (seconds < 0) return seconds > -60 ? "just now" : "in the future";
  if (seconds < 45) return "just now";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.round(hours / 24);
  if (days < 30) return days === 1 ? "yesterday" : `${days} days ago`;
  const months = Math.round(days / 30);
  if (months < 12) return months === 1 ? "1 month ago" : `${months} months ago`;
  const years = Math.round(days / 365);
  return years === 1 ? "1 year ago" : `${years} years ago`;
}

/** A unix time as the reader's local date and time, for tooltips. */
export function absoluteTime(unixSeconds: number | null | undefined): string | undefined {
  if (unixSeconds === null || unixSeconds === undefined) return undefined;
  return new Date(unixSeconds * 1000).toLocaleString();
}

/** `host:port`, bracketing IPv6 literals so the port stays readable. */
export function formatAddress(host: string, port: number): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Generation speed of an answer from its `end` event: the tokens after the first over the time
 * after the first (the first token's wait is TTFT), or null when there is too little to measure.
 */
export function tokensPerSecond(end: { readonly tokens_out: number; readonly decode_ms: number; readonly ttft_ms: number }): number | null {
  const after = end.decode_ms - end.ttft_ms;
  if (end.tokens_out >= 2 && after > 0) return ((end.tokens_out - 1) * 1000) / after;
  if (end.tokens_out >= 1 && end.decode_ms > 0) return (end.tokens_out * 1000) / end.decode_ms;
  return null;
}

/** A duration in ms as "840 ms" or "2.4 s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

/** A rate as "850 tok/s" or "12.5 tok/s". */
export function formatRate(perSecond: number | null): string {
  if (perSecond === null || !Number.isFinite(perSecond)) return "—";
  return `${perSecond >= 100 ? Math.round(perSecond) : perSecond.toFixed(1)} tok/s`;
}

/** An answer's prompt tokens taken from the worker's cache: "412 cached" and what it means, or null for none. */
export function cachedTokens(end: { readonly tokens_cached?: number | undefined; readonly tokens_in?: number | undefined }): {
  readonly label: string;
  readonly title: string;
} | null {
  const cached = end.tokens_cached;
  if (cached === undefined || cached <= 0) return null;
  const of = end.tokens_in !== undefined && end.tokens_in >= cached ? ` of ${end.tokens_in}` : "";
  return { label: `${cached} cached`, title: `${cached}${of} prompt tokens came from the worker's cache instead of being evaluated again` };
}
