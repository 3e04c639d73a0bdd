import type { IncomingHttpHeaders } from 'node:http';
import { describeUnstorable, truncateText, unstorableIn, type OpenAiError } from '@sluice/contracts';

/** What the caller said about itself, kept on its usage record. */
export interface CallerTags {
  clientRequestId: string | null;
  user: string | null;
  metadata: Record<string, string> | null;
  /** The agent session the call belongs to, when the client names one (absent otherwise). */
  sessionId?: string;
}

export type CallerTagsResult = { ok: true; tags: CallerTags } | { ok: false; error: OpenAiError };

export const TAG_LIMITS = {
  userChars: 256,
  metadataHeaderBytes: 4096,
  metadataEntries: 32,
  metadataKeyChars: 64,
  metadataValueChars: 256,
};

const METADATA_HEADER = 'x-portkey-metadata';
/** Claude Code's session header, Codex's, and a plain one any client may send; the first usable wins. */
const SESSION_HEADERS = ['x-claude-code-session-id', 'session-id', 'x-session-id'] as const;
const SESSION_ID = /^[A-Za-z0-9._:-]{1,128}$/;
// Metadata is stored and shown to every admin role, so anything that looks like a credential is left out.
const SECRET_NAME = /secret|password|passwd|token|api[-_]?key|authorization|credential|bearer|cookie/i;
const SECRET_VALUE = /^(sk-|bearer\s)/i;
const NON_ASCII = /[\x80-\xff]/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The client's own request id, the caller's end-user id (OpenAI's `user` body field, or its
 * equivalent in another dialect), and Portkey's `x-portkey-metadata`
 * header (a JSON object of flat values; `_user` stands in for a missing `user`). Oversized or
 * malformed input is cut or dropped, not refused: it is not the call. A value that would be
 * stored but that Postgres cannot hold as given (a NUL, an unpaired surrogate) is refused, so what
 * is stored is what the caller sent.
 */
export function callerTagsOf(
  clientRequestId: string | null,
  headers: IncomingHttpHeaders,
  user: { value: string | null; param: string },
): CallerTagsResult {
  const metadata = metadataOf(headers[METADATA_HEADER]);
  if (metadata instanceof Refusal) return { ok: false, error: metadata.error };
  const bodyUser = user.value === '' ? null : user.value;
  const why = bodyUser === null ? null : unstorableIn(bodyUser);
  if (why) return { ok: false, error: unstorable(user.param, `the value contains ${describeUnstorable(why)}`) };
  const rawUser = bodyUser ?? metadata?._user ?? null;
  const tags: CallerTags = {
    clientRequestId,
    user: rawUser === null ? null : truncateText(rawUser, TAG_LIMITS.userChars),
    metadata,
  };
  const sessionId = sessionIdOf(headers);
  if (sessionId) tags.sessionId = sessionId;
  return { ok: true, tags };
}

/** The session id, when a header holds one that is safe to store and show (an id, not free text); else none. */
function sessionIdOf(headers: IncomingHttpHeaders): string | undefined {
  for (const name of SESSION_HEADERS) {
    const value = headers[name];
    if (typeof value === 'string' && SESSION_ID.test(value)) return value;
  }
  return undefined;
}

class Refusal {
  constructor(readonly error: OpenAiError) {}
}

function metadataOf(header: string | string[] | undefined): Record<string, string> | null | Refusal {
  if (typeof header !== 'string' || Buffer.byteLength(header) > TAG_LIMITS.metadataHeaderBytes) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8Of(header));
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
    const why = unstorableIn(name) ?? unstorableIn(text);
    if (why) return new Refusal(unstorable(METADATA_HEADER, `an entry contains ${describeUnstorable(why)}`));
    kept[name] = text;
    count++;
  }
  return count === 0 ? null : kept;
}

/** Node reads header bytes as Latin-1; a client that sent UTF-8 (as curl does) means UTF-8. */
function utf8Of(header: string): string {
  if (!NON_ASCII.test(header)) return header;
  try {
    return utf8.decode(Buffer.from(header, 'latin1'));
  } catch {
    return header;
  }
}

const unstorable = (param: string, what: string): OpenAiError => ({
  status: 400,
  type: 'invalid_request_error',
  param,
  code: 'invalid_value',
  message: `Invalid '${param}': ${what}, which cannot be stored with the call. Remove it and retry.`,
});
