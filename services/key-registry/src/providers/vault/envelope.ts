import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Envelope encryption with AES-256-GCM: each secret gets its own data key, the data key is
 * wrapped by a versioned key-encryption key (KEK) from the environment, and both ciphertexts are
 * bound to the row they belong to through associated data, so a ciphertext copied onto another
 * row does not decrypt.
 */
export interface KeyEncryptionKeys {
  current: number;
  keys: Map<number, Buffer>;
}

export interface Sealed {
  ciphertext: Buffer;
  wrappedKey: Buffer;
  kekVersion: number;
}

const IV = 12;
const TAG = 16;

export function seal(secret: string, aad: string, keks: KeyEncryptionKeys): Sealed {
  const dataKey = randomBytes(32);
  try {
    return {
      ciphertext: gcmEncrypt(dataKey, Buffer.from(secret, 'utf8'), aad),
      wrappedKey: gcmEncrypt(kekOf(keks, keks.current), dataKey, aad),
      kekVersion: keks.current,
    };
  } finally {
    dataKey.fill(0);
  }
}

export function open(sealed: Sealed, aad: string, keks: KeyEncryptionKeys): string {
  const dataKey = gcmDecrypt(kekOf(keks, sealed.kekVersion), sealed.wrappedKey, aad);
  try {
    return gcmDecrypt(dataKey, sealed.ciphertext, aad).toString('utf8');
  } finally {
    dataKey.fill(0);
  }
}

/**
 * Wraps a secret's data key again under the current KEK. Only the wrapped key changes: the
 * ciphertext, and so the secret, stays as it is, and the row keeps its associated data.
 */
export function rewrap(
  sealed: Pick<Sealed, 'wrappedKey' | 'kekVersion'>,
  aad: string,
  keks: KeyEncryptionKeys,
): Pick<Sealed, 'wrappedKey' | 'kekVersion'> {
  const dataKey = gcmDecrypt(kekOf(keks, sealed.kekVersion), sealed.wrappedKey, aad);
  try {
    return { wrappedKey: gcmEncrypt(kekOf(keks, keks.current), dataKey, aad), kekVersion: keks.current };
  } finally {
    dataKey.fill(0);
  }
}

/**
 * Parses `SLUICE_MASTER_KEY` (one base64 key, version 1) or `SLUICE_MASTER_KEYS`
 * (`1:base64,2:base64`; the highest version encrypts, every listed version decrypts).
 */
export function parseKeks(single: string | undefined, versioned: string | undefined): KeyEncryptionKeys {
  const keys = new Map<number, Buffer>();
  if (versioned) {
    for (const part of versioned.split(',')) {
      const [version, material] = part.trim().split(':');
      if (!/^[1-9]\d{0,8}$/.test(version ?? '') || keys.has(Number(version))) {
        throw new Error('SLUICE_MASTER_KEYS must list distinct positive versions: 1:<base64>,2:<base64>');
      }
      keys.set(Number(version), decodeKey(material));
    }
  } else if (single) {
    keys.set(1, decodeKey(single));
  }
  if (keys.size === 0)
    throw new Error('SLUICE_MASTER_KEY (or SLUICE_MASTER_KEYS) is required to encrypt provider keys');
  return { current: Math.max(...keys.keys()), keys };
}

function decodeKey(material: string | undefined): Buffer {
  const key = Buffer.from(material ?? '', 'base64');
  if (key.length !== 32) throw new Error('a master key must be 32 bytes, base64-encoded');
  return key;
}

function kekOf(keks: KeyEncryptionKeys, version: number): Buffer {
  const kek = keks.keys.get(version);
  if (!kek) throw new Error(`master key version ${version} is not configured`);
  return kek;
}

function gcmEncrypt(key: Buffer, plaintext: Buffer, aad: string): Buffer {
  const iv = randomBytes(IV);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

function gcmDecrypt(key: Buffer, sealed: Buffer, aad: string): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(sealed.subarray(IV, IV + TAG));
  return Buffer.concat([decipher.update(sealed.subarray(IV + TAG)), decipher.final()]);
}
