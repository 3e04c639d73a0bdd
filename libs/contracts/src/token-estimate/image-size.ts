/** How much of a data URL is decoded to find a JPEG's frame header (it may follow EXIF data). */
const MAX_HEADER_BYTES = 64 * 1024;

/**
 * Width and height of a base64 `data:` image URL, read from the file header (PNG, GIF, WebP,
 * JPEG) without decoding the image; null when the URL is not a data URL or the header is not
 * understood (the image then counts at its model's largest size).
 */
export function dataUrlImageSize(url: string): { width: number; height: number } | null {
  if (!url.startsWith('data:')) return null;
  const comma = url.indexOf(',');
  if (comma < 0 || url.lastIndexOf(';base64', comma) < 0) return null;
  return base64ImageSize(url, comma + 1);
}

/** The same for base64 image data on its own (Anthropic's `source.data`), from `start`. */
export function base64ImageSize(data: string, start = 0): { width: number; height: number } | null {
  const head = decodePrefix(data, start, 32);
  return (
    pngSize(head) ??
    gifSize(head) ??
    webpSize(head) ??
    (head[0] === 0xff && head[1] === 0xd8 ? jpegSize(decodePrefix(data, start, MAX_HEADER_BYTES)) : null)
  );
}

/** The first `bytes` (about) of base64 text from `start`: whole 4-character groups only, so they decode exactly. */
function decodePrefix(url: string, start: number, bytes: number): Buffer {
  const end = Math.min(url.length, start + Math.ceil(bytes / 3) * 4);
  return Buffer.from(url.slice(start, end - ((end - start) % 4)), 'base64');
}

const sized = (width: number, height: number) => (width > 0 && height > 0 ? { width, height } : null);

function pngSize(b: Buffer) {
  if (b.length < 24 || b.readUInt32BE(0) !== 0x89504e47 || b.toString('latin1', 12, 16) !== 'IHDR') return null;
  return sized(b.readUInt32BE(16), b.readUInt32BE(20));
}

function gifSize(b: Buffer) {
  if (b.length < 10 || b.toString('latin1', 0, 4) !== 'GIF8') return null;
  return sized(b.readUInt16LE(6), b.readUInt16LE(8));
}

function webpSize(b: Buffer) {
  if (b.length < 30 || b.toString('latin1', 0, 4) !== 'RIFF' || b.toString('latin1', 8, 12) !== 'WEBP') return null;
  switch (b.toString('latin1', 12, 16)) {
    case 'VP8 ':
      return sized(b.readUInt16LE(26) & 0x3fff, b.readUInt16LE(28) & 0x3fff);
    case 'VP8L': {
      const bits = b.readUInt32LE(21);
      return sized((bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1);
    }
    case 'VP8X':
      return sized(b.readUIntLE(24, 3) + 1, b.readUIntLE(27, 3) + 1);
    default:
      return null;
  }
}

/** Walks the JPEG segments to the first start-of-frame marker, which holds the size. */
function jpegSize(b: Buffer) {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return null;
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1];
    if (marker === 0xff) {
      i++;
      continue;
    }
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) return sized(b.readUInt16BE(i + 7), b.readUInt16BE(i + 5));
    i += 2 + b.readUInt16BE(i + 2);
  }
  return null;
}
