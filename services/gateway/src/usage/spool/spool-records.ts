import {
  costNanosOf,
  upcastPrice,
  usageTokenFields,
  worstCaseTokens,
  type CatalogPriceUsd,
  type ModelPrice,
  type Operation,
  type UsageMessage,
} from '@sluice/contracts';
import type { CallerTags } from '../caller-tags';
import type { CallFacts } from '../usage-message';

/**
 * Written before the upstream is contacted: enough to bill the call at its worst case if the
 * gateway dies before it knows the real usage.
 */
export interface BeginRecord {
  t: 'b';
  callId: string;
  keyId: string;
  model: string;
  upstreamModel: string;
  providerId: string;
  op: Operation;
  stream: boolean;
  clientIp: string;
  /** Epoch milliseconds. */
  startedAt: number;
  /** The prompt's bound (see worstCaseOf in usage/worst-case.ts). */
  promptTokens: number;
  /** The most output tokens the call may produce, every choice together (see worstCaseOf). */
  outputCap: number;
  /** In nano-dollars; a spool written by an older gateway holds USD prices, upcast when it is recovered. */
  price: ModelPrice | CatalogPriceUsd | null;
  tags?: CallerTags;
  /** The lease the call was admitted under, which policy charges its recovered usage to. */
  leaseId?: string;
}

/** The call's real usage message, written before it is handed to the publisher. */
export interface EndRecord {
  t: 'e';
  usage: UsageMessage;
}

/** JetStream stored the call's usage message: nothing left to recover for it. */
export interface AckedRecord {
  t: 'a';
  callId: string;
}

export type SpoolRecord = BeginRecord | EndRecord | AckedRecord;

export function beginRecord(call: CallFacts): BeginRecord {
  const { worstCase } = call;
  return {
    t: 'b',
    callId: call.callId,
    keyId: call.keyId,
    model: call.model,
    upstreamModel: call.route.upstreamModel,
    providerId: call.route.providerId,
    op: call.op,
    stream: call.stream,
    clientIp: call.clientIp,
    startedAt: call.startedAt,
    promptTokens: worstCase.inputTokens,
    outputCap: worstCase.outputTokens,
    price: call.route.price ?? null,
    ...(call.tags ? { tags: call.tags } : {}),
    ...(call.limits?.leaseId ? { leaseId: call.limits.leaseId } : {}),
  };
}

/**
 * The usage of a call that began but never ended in the spool: the upstream may have served it in
 * full, so it is billed at its worst case (prompt bound, whole output cap), flagged estimated.
 */
export function estimatedUsage(begin: BeginRecord): UsageMessage {
  const price = begin.price ? upcastPrice(begin.price) : null;
  const tokens = price
    ? worstCaseTokens({ inputTokens: begin.promptTokens, outputTokens: begin.outputCap }, price)
    : { inputTokens: begin.promptTokens, cachedInputTokens: 0, outputTokens: begin.outputCap };
  return {
    requestId: begin.callId,
    keyId: begin.keyId,
    model: begin.model,
    upstreamModel: begin.upstreamModel,
    providerId: begin.providerId,
    operation: begin.op,
    stream: begin.stream,
    status: 0,
    ...usageTokenFields(tokens),
    reasoningTokens: 0,
    estimated: true,
    recovered: true,
    latencyMs: 0,
    ttfbMs: null,
    clientIp: begin.clientIp,
    startedAt: new Date(begin.startedAt).toISOString(),
    clientRequestId: begin.tags?.clientRequestId ?? null,
    user: begin.tags?.user ?? null,
    metadata: begin.tags?.metadata ?? null,
    ...(begin.tags?.sessionId ? { sessionId: begin.tags.sessionId } : {}),
    ...(price ? { costNanos: costNanosOf(tokens, price) } : {}),
    ...(begin.leaseId ? { leaseId: begin.leaseId } : {}),
  };
}

/** One record per line, so a reader needs no framing beyond newlines. */
export function encodeRecord(record: SpoolRecord): string {
  return `${JSON.stringify(record)}\n`;
}

/**
 * What a dead gateway's spool still owes metering: the real usage of every call that ended but was
 * not acknowledged, and an estimate for every call that began and never ended. Lines that do not
 * parse (a write cut short by a machine crash) are skipped.
 */
export function unreportedUsage(text: string): UsageMessage[] {
  const begun = new Map<string, BeginRecord>();
  const ended = new Map<string, UsageMessage>();
  const acked = new Set<string>();
  for (const line of text.split('\n')) {
    const record = parseLine(line);
    if (!record) continue;
    if (record.t === 'b') begun.set(record.callId, record);
    else if (record.t === 'e') ended.set(record.usage.requestId, record.usage);
    else acked.add(record.callId);
  }
  const owed: UsageMessage[] = [];
  // Flagged `recovered` so policy, which may see it long after a first copy, checks it was not counted already.
  for (const [callId, usage] of ended) if (!acked.has(callId)) owed.push({ ...usage, recovered: true });
  for (const [callId, begin] of begun) if (!ended.has(callId) && !acked.has(callId)) owed.push(estimatedUsage(begin));
  return owed;
}

function parseLine(line: string): SpoolRecord | null {
  if (line.length === 0) return null;
  try {
    const record = JSON.parse(line) as SpoolRecord;
    if (record.t === 'b' && typeof record.callId === 'string') return record;
    if (record.t === 'e' && typeof record.usage?.requestId === 'string') return record;
    if (record.t === 'a' && typeof record.callId === 'string') return record;
  } catch {
    // a torn line
  }
  return null;
}
