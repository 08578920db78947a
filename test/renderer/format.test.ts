import { describe, expect, it } from "vitest";
import { formatAddress, formatBytes, relativeTime } from "../../src/renderer/lib/format.js";

describe("formatBytes", () => {
  it("uses binary units with sensible precision", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1023)).toBe("1023 B");
    expect(formatBytes(1536)).toBe("1.50 KiB");
    expect(formatBytes(8 * 1024 ** 3)).toBe("8.00 GiB");
    expect(formatBytes(24.5 * 1024 ** 3)).toBe("24.5 GiB");
  });
  it("says — when unknown", () => {
    expect(formatBytes(null)).toBe("—");
    expect(formatBytes(undefined)).toBe("—");
    expect(formatBytes(Number.NaN)).toBe("—");
  });
});

describe("relativeTime", () => {
  const now = Date.UTC(2026, 0, 10, 12, 0, 0);
  const ago = (seconds: number): number => now / 1000 - seconds;
  it("reads at a glance", () => {
    expect(relativeTime(null, now)).toBe("never");
    expect(relativeTime(ago(5), now)).toBe("just now");
    expect(relativeTime(ago(3 * 60), now)).toBe("3 min ago");
    expect(relativeTime(ago(5 * 3600), now)).toBe("5 h ago");
    expect(relativeTime(ago(26 * 3600), now)).toBe("yesterday");
    expect(relativeTime(ago(10 * 86400), now)).toBe("10 days ago");
    expect(relativeTime(ago(400 * 86400), now)).toBe("1 year ago");
  });
  it("tolerates a little clock skew", () => {
    expect(relativeTime(ago(-10), now)).toBe("just now");
  });
});

describe("formatAddress", () => {
  it("brackets IPv6 literals", () => {
    expect(formatAddress("gpu.home.arpa", 22)).toBe("gpu.home.arpa:22");
    expect(formatAddress("::1", 2222)).toBe("[::1]:2222");
  });
});
