import type { IncomingHttpHeaders } from 'node:http';

/** One call the mock upstream served, as a provider would bill it. */
export interface InvoiceEntry {
  /** The caller's `x-request-id`, or a generated id when it sent none. */
  requestId: string;
  path: string;
  /** Azure paths: the `api-version` it was called with. */
  apiVersion?: string;
  /** On Azure paths, the deployment name. */
  model: string;
  /** The Authorization header as received: tests assert it is the real provider key. */
  authorization: string | undefined;
  headers: IncomingHttpHeaders;
  stream: boolean;
  includeUsage: boolean;
  status: number;
  /** Every prompt token, cached or not (Anthropic: input + cache read + cache write). */
  promptTokens: number;
  /** Of promptTokens, read from and written to the prompt cache (Anthropic's Messages API). */
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
  /** Of cacheWriteTokens, those written for an hour (`ttl: "1h"`): Anthropic bills them at twice the input price. */
  cacheWrite1hTokens?: number;
  /** For streams, the tokens actually generated, even when the caller went away early. */
  completionTokens: number;
  /** Of the prompt tokens, those served from the prompt cache (Responses). */
  cachedTokens?: number;
  /** Of the completion tokens, hidden reasoning (Responses). */
  reasoningTokens?: number;
  /** False when the caller disconnected (or a fault cut the stream) before the reply was complete. */
  completed: boolean;
  /** Messages calls: the body as it arrived, to check what a gateway forwarded byte for byte. */
  body?: string;
}

export interface Invoice {
  calls: number;
  promptTokens: number;
  completionTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** `count_tokens` calls: answered, never billed. */
  countTokensCalls: number;
  cachedTokens: number;
  reasoningTokens: number;
  /** The Authorization header of the latest call. */
  lastAuthorization: string | undefined;
  byRequest: Map<string, InvoiceEntry>;
  /** Every request the server received, billed or not (`GET /v1/responses/…` is not), in order. */
  received: { method: string; path: string; requestId: string | undefined }[];
  /** Requests being answered right now, and the most there ever were at once. */
  inFlight: number;
  maxInFlight: number;
}

export const emptyInvoice = (): Invoice => ({
  calls: 0,
  promptTokens: 0,
  completionTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  countTokensCalls: 0,
  cachedTokens: 0,
  reasoningTokens: 0,
  lastAuthorization: undefined,
  byRequest: new Map(),
  received: [],
  inFlight: 0,
  maxInFlight: 0,
});

export function bill(invoice: Invoice, entry: InvoiceEntry): void {
  invoice.calls++;
  invoice.promptTokens += entry.promptTokens;
  invoice.completionTokens += entry.completionTokens;
  invoice.cacheReadTokens += entry.cacheReadTokens ?? 0;
  invoice.cacheWriteTokens += entry.cacheWriteTokens ?? 0;
  invoice.cachedTokens += entry.cachedTokens ?? 0;
  invoice.reasoningTokens += entry.reasoningTokens ?? 0;
  invoice.lastAuthorization = entry.authorization;
  invoice.byRequest.set(entry.requestId, entry);
}
