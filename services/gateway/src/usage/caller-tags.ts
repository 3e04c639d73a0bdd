import type { IncomingHttpHeaders } from 'node:http';

/** What the caller said about itself, kept on its usage record. */
export interface CallerTags {
  clientRequestId: string | null;
  user: string | null;
  metadata: Record<string, string> | null;
}

export const TAG_LIMITS = { userChars: 256, metadataHeaderBytes: 4096, metadataEntries: 32, metadataKeyChars: 64, metadataValueChars: 256 };

// Metadata is stored and shown to every admin role, so anything that looks like a credential is left out.
const SECRET_NAME = /secret|password|passwd|token|api[-_]?key|authorization|credential|bearer|cookie/i;
const SECRET_VALUE = /^(sk-|bearer\s)/i;

/**
 * The client's own request id, OpenAI's `user` body field, and
 * Portkey's `x-portkey-metadata` header (a JSON object of flat values; `_user` stands in for a
 * missing `user`). Malformed or oversized input is dropped, never refused: it is not the call.
 */
export function callerTagsOf(clientRequestId: string | null, headers: IncomingHttpHeaders, body: Record<string, unknown>): CallerTags {
  const metadata = metadataOf(headers['x-portkey-metadata']);
  const rawUser = typeof body.user === 'string' && body.user !== '' ? body.user : (metadata?._user ?? null);
  return { clientRequestId, user: rawUser === null ? null : rawUser.slice(0, TAG_LIMITS.userChars), metadata };
}

function metadataOf(header: string | string[] | undefined): Record<string, string> | null {
  if (typeof header !== 'string' || Buffer.byteLength(header) > TAG_LIMITS.metadataHeaderBytes) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(header);
  } catch {
    return null;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
  const kept: Record<string, string> = {};
  let count = 0;
  for (const [name, value] of Object.entries(parsed)) {
    if (count >= TAG_LIMITS.metadataEntries) break;
    if (name === '' || name.length > TAG_LIMITS.metadataKeyChars || SECRET_NAME.test(name)) continue;
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') continue;
    const text = String(value);
    if (text.length > TAG_LIMITS.metadataValueChars || SECRET_VALUE.test(text)) continue;
    kept[name] = text;
    count++;
  }
  return count === 0 ? null : kept;
}
