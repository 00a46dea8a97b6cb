// Writes the PNG app icons into pwa/public/icons (run once; the files are checked in).
import { deflateSync } from 'node:zlib';
import { mkdirSync, writeFileSync } from 'node:fs';

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A speech bubble on a blue field; `safe` shrinks it into the maskable safe zone. */
function icon(size: number, safe: boolean): Buffer {
  const raw = Buffer.alloc((size * 4 + 1) * size);
  const scale = safe ? 0.6 : 0.78;
  const r = (size * scale) / 2;
  const cx = size / 2;
  const cy = size / 2 - size * 0.04;
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    for (let x = 0; x < size; x++) {
      const dx = (x - cx) / r;
      const dy = (y - cy) / (r * 0.78);
      const inBubble = dx * dx + dy * dy <= 1;
      const tail = y > cy && y < cy + r * 0.95 && x > cx - r * 0.55 && x < cx - r * 0.2 && (y - cy) < (cx - r * 0.2 - x) * 2.2;
      const dot = [-0.4, 0, 0.4].some((ox) => (dx - ox) ** 2 + (dy * 0.78) ** 2 < 0.012);
      const [red, green, blue] = dot ? [31, 111, 235] : inBubble || tail ? [255, 255, 255] : [31, 111, 235];
      const o = y * (size * 4 + 1) + 1 + x * 4;
      raw[o] = red; raw[o + 1] = green; raw[o + 2] = blue; raw[o + 3] = 255;
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; header[9] = 6; header[10] = 0; header[11] = 0; header[12] = 0;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

mkdirSync('pwa/public/icons', { recursive: true });
writeFileSync('pwa/public/icons/icon-192.png', icon(192, false));
writeFileSync('pwa/public/icons/icon-512.png', icon(512, false));
writeFileSync('pwa/public/icons/icon-maskable-512.png', icon(512, true));
console.log('icons written to pwa/public/icons');
