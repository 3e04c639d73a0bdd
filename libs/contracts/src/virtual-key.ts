import { createHash, randomBytes } from 'node:crypto';

/**
 * Virtual key format: `sk-sluice-` + 43 base62 characters (256 bits of randomness) + a 6-character
 * base62 CRC-32 checksum of the random part, so a scanner (or the gateway, before any I/O) can
 * reject a mistyped or truncated key offline.
 */
export const KEY_PREFIX = 'sk-sluice-';
const BODY_LENGTH = 43;
const CHECKSUM_LENGTH = 6;
export const KEY_LENGTH = KEY_PREFIX.length + BODY_LENGTH + CHECKSUM_LENGTH;
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BASE62 = /^[0-9A-Za-z]+$/;

export function generateVirtualKey(random: (n: number) => Buffer = randomBytes): string {
  // Rejection sampling keeps every character uniform (248 = 4 * 62).
  let body = '';
  while (body.length < BODY_LENGTH) {
    for (const byte of random(64)) {
      if (byte < 248 && body.length < BODY_LENGTH) body += ALPHABET[byte % 62];
    }
  }
  return KEY_PREFIX + body + checksum(body);
}

/** True when the key has the right prefix, length, alphabet and checksum. No I/O. */
export function isWellFormedVirtualKey(key: string): boolean {
  if (key.length !== KEY_LENGTH || !key.startsWith(KEY_PREFIX)) return false;
  const rest = key.slice(KEY_PREFIX.length);
  if (!BASE62.test(rest)) return false;
  const body = rest.slice(0, BODY_LENGTH);
  return rest.slice(BODY_LENGTH) === checksum(body);
}

/** Keys carry 256 bits of entropy, so a plain SHA-256 is a safe lookup hash. */
export function hashVirtualKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** What listings show: the prefix and the first characters of the random part. */
export function keyHint(key: string): string {
  return `${key.slice(0, KEY_PREFIX.length + 4)}…${key.slice(-4)}`;
}

function checksum(body: string): string {
  let n = crc32(body);
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = ALPHABET[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[i] = c >>> 0;
  }
  return table;
})();

function crc32(text: string): number {
  let crc = 0xffffffff;
  for (let i = 0; i < text.length; i++) crc = CRC_TABLE[(crc ^ text.charCodeAt(i)) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
