import { randomBytes } from 'node:crypto';

// A per-process random prefix and a counter: unique, cheap, and shaped like OpenAI's ids.
const PREFIX = randomBytes(9).toString('base64url');
let seq = 0;

export const nextId = (kind: string): string => `${kind}-${PREFIX}${(++seq).toString(36)}`;
export const nowSeconds = (): number => Math.floor(Date.now() / 1000);
