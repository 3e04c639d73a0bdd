/**
 * Which policy partition owns a key's counters: a stable hash of its id (not of its secret, which
 * a regeneration changes), modulo the number of partitions. Every policy process and every caller
 * must agree, so this is the only place it is computed.
 */
export function partitionOf(keyId: string, partitions: number): number {
  if (partitions <= 1) return 0;
  // FNV-1a, 32 bits: fast, stable across processes and versions, evenly spread over key ids.
  let hash = 0x811c9dc5;
  for (let i = 0; i < keyId.length; i++) {
    hash ^= keyId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % partitions;
}
