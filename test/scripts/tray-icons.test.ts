import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { inflateSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const LEVELS = ["healthy", "warning", "idle"] as const;
const VARIANTS = [
  ["", 16],
  ["@2x", 32],
  ["-32", 32],
  ["-32@2x", 64],
] as const;

type Png = { width: number; height: number; rgba: Buffer };

/** Decodes the PNGs the script writes: 8-bit RGBA, not interlaced, filter 0 on every row. */
function decodePng(file: Buffer): Png {
  expect(file.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let offset = 8;
  let width = 0;
  let height = 0;
  const data: Buffer[] = [];
  while (offset < file.length) {
    const length = file.readUInt32BE(offset);
    const type = file.toString("ascii", offset + 4, offset + 8);
    const body = file.subarray(offset + 8, offset + 8 + length);
    if (type === "IHDR") {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      expect([...body.subarray(8)]).toEqual([8, 6, 0, 0, 0]);
    }
    if (type === "IDAT") data.push(body);
    offset += 12 + length;
  }
  const rows = inflateSync(Buffer.concat(data));
  const rgba = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    expect(rows[y * (width * 4 + 1)]).toBe(0);
    rows.copy(rgba, y * width * 4, y * (width * 4 + 1) + 1, (y + 1) * (width * 4 + 1));
  }
  return { width, height, rgba };
}

const pixel = (png: Png, x: number, y: number): number[] => [...png.rgba.subarray((y * png.width + x) * 4, (y * png.width + x) * 4 + 4)];

let regenerated: string;

beforeAll(() => {
  regenerated = mkdtempSync(join(tmpdir(), "rbee-tray-icons-"));
  execFileSync(process.execPath, [resolve("scripts/make-tray-icons.mjs"), "--out", regenerated]);
});

afterAll(() => rmSync(regenerated, { recursive: true, force: true }));

describe("tray icons in resources/", () => {
  it("exist for every level at 16 and 32 px, each with a @2x variant, and are what the script draws", () => {
    for (const level of LEVELS) {
      for (const [suffix, size] of VARIANTS) {
        const name = `tray-${level}${suffix}.png`;
        const committed = decodePng(readFileSync(resolve("resources", name)));
        expect([committed.width, committed.height], name).toEqual([size, size]);
        expect(decodePng(readFileSync(join(regenerated, name))).rgba.equals(committed.rgba), `${name} differs from the script's output`).toBe(true);
      }
    }
  });

  it("are transparent at the corners and tell the levels apart at the centre", () => {
    const icons = Object.fromEntries(LEVELS.map((level) => [level, decodePng(readFileSync(resolve("resources", `tray-${level}-32.png`)))]));
    for (const level of LEVELS) expect(pixel(icons[level]!, 0, 0)[3], level).toBe(0);
    const [r, g, b, a] = pixel(icons.healthy!, 16, 16);
    expect(a).toBe(255);
    expect(g).toBeGreaterThan(r! + 50);
    expect(g).toBeGreaterThan(b! + 50);
    const warningFill = pixel(icons.warning!, 8, 16);
    expect(warningFill[3]).toBe(255);
    expect(warningFill[0]).toBeGreaterThan(warningFill[2]! + 100);
    // The idle icon is a hollow cell: clear in the middle, grey on its rim.
    expect(pixel(icons.idle!, 16, 16)[3]).toBe(0);
    const rim = pixel(icons.idle!, 4, 16);
    expect(rim[3]).toBeGreaterThan(0);
    expect(Math.max(rim[0]!, rim[1]!, rim[2]!) - Math.min(rim[0]!, rim[1]!, rim[2]!)).toBeLessThan(30);
  });
});
