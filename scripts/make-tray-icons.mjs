#!/usr/bin/env node
// Draws the tray icons (resources/tray-<level>[-32][@2x].png) with Node alone: shapes as signed
// distance functions, 8×8 supersampling for anti-aliasing, PNG written with zlib. Deterministic:
// running it again gives the same pixels. Usage: node scripts/make-tray-icons.mjs [--out DIR]
import { Buffer } from "node:buffer";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { deflateSync } from "node:zlib";

const LEVELS = ["healthy", "warning", "idle"];
// Base sizes: 16 px (macOS, Windows) and 32 px (Linux tray hosts), each also at 2×.
const VARIANTS = [
  { suffix: "", size: 16 },
  { suffix: "@2x", size: 32 },
  { suffix: "-32", size: 32 },
  { suffix: "-32@2x", size: 64 },
];
const SAMPLES = 8;

const COLORS = {
  healthy: { fill: [34, 197, 94], edge: [21, 128, 61] },
  warning: { fill: [245, 158, 11], edge: [180, 83, 9], mark: [41, 24, 4] },
  idle: { edge: [148, 155, 166] },
};

/** Signed distance to a regular hexagon with vertices at top and bottom, apothem `r` (negative inside). */
function hexagon(x, y, r) {
  const k = [-0.866025404, 0.5, 0.577350269];
  let px = Math.abs(y);
  let py = Math.abs(x);
  const d = 2 * Math.min(k[0] * px + k[1] * py, 0);
  px -= d * k[0];
  py -= d * k[1];
  px -= Math.min(Math.max(px, -k[2] * r), k[2] * r);
  py -= r;
  return Math.hypot(px, py) * Math.sign(py);
}

function box(x, y, cx, cy, halfW, halfH) {
  const dx = Math.abs(x - cx) - halfW;
  const dy = Math.abs(y - cy) - halfH;
  return Math.hypot(Math.max(dx, 0), Math.max(dy, 0)) + Math.min(Math.max(dx, dy), 0);
}

/**
 * The colour at a point of the unit square (0..1, y down), or undefined where the icon is clear.
 * healthy: a green honeycomb cell; warning: an amber cell with "!"; idle: a hollow grey cell.
 */
function paint(level, x, y) {
  const cx = x - 0.5;
  const cy = y - 0.5;
  const cell = hexagon(cx, cy, 0.41);
  if (cell > 0) return undefined;
  switch (level) {
    case "healthy":
      return cell > -0.09 ? COLORS.healthy.edge : COLORS.healthy.fill;
    case "warning": {
      const bar = box(x, y, 0.5, 0.42, 0.075, 0.18);
      const dot = Math.hypot(x - 0.5, y - 0.73) - 0.08;
      if (bar < 0 || dot < 0) return COLORS.warning.mark;
      return cell > -0.09 ? COLORS.warning.edge : COLORS.warning.fill;
    }
    case "idle":
      return cell > -0.13 ? COLORS.idle.edge : undefined;
    default:
      throw new Error(`unknown level ${level}`);
  }
}

/** RGBA pixels (straight alpha) of one icon, `size` × `size`. */
export function renderTrayIcon(level, size) {
  const pixels = Buffer.alloc(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let covered = 0;
      for (let sy = 0; sy < SAMPLES; sy++) {
        for (let sx = 0; sx < SAMPLES; sx++) {
          const color = paint(level, (px + (sx + 0.5) / SAMPLES) / size, (py + (sy + 0.5) / SAMPLES) / size);
          if (!color) continue;
          r += color[0];
          g += color[1];
          b += color[2];
          covered += 1;
        }
      }
      const at = (py * size + px) * 4;
      if (covered === 0) continue;
      pixels[at] = Math.round(r / covered);
      pixels[at + 1] = Math.round(g / covered);
      pixels[at + 2] = Math.round(b / covered);
      pixels[at + 3] = Math.round((covered / (SAMPLES * SAMPLES)) * 255);
    }
  }
  return pixels;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A PNG file (8-bit RGBA, no interlace, filter 0 on every row) of `size` × `size` pixels. */
export function encodePng(pixels, size) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // RGBA
  const rows = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) pixels.copy(rows, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(rows, { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

function main() {
  const outFlag = process.argv.indexOf("--out");
  const here = dirname(fileURLToPath(import.meta.url));
  const out = outFlag >= 0 ? resolve(process.argv[outFlag + 1] ?? ".") : join(here, "..", "resources");
  mkdirSync(out, { recursive: true });
  for (const level of LEVELS) {
    for (const { suffix, size } of VARIANTS) {
      const file = join(out, `tray-${level}${suffix}.png`);
      writeFileSync(file, encodePng(renderTrayIcon(level, size), size));
      console.log(`${file} (${size}×${size})`);
    }
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
