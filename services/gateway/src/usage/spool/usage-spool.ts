import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { UsageMessage } from '@sluice/contracts';
import type { Logger } from '@sluice/service';
import { usageJson } from '../usage-json';
import { encodeRecord, type BeginRecord } from './spool-records';
import { claimDeadSpools, ensurePrivateDir, hold, isAlive, ownFileName, release, strandedSpools } from './spool-files';

/** One spool file: its calls end and are acknowledged in it even after newer calls moved on to the next one. */
/** A foreign instance's file untouched this long is worth a warning: its gateway is probably gone. */
const STRANDED_AFTER_MS = 10 * 60_000;

interface Segment {
  path: string;
  fd: number;
  bytes: number;
  /** Calls begun here whose acknowledgement is not written yet. */
  open: number;
  retired: boolean;
  /** Records waiting for the end of the event-loop turn, and how many of them are acknowledgements. */
  pending: string;
  ackCount: number;
}

export const DEFAULT_SEGMENT_BYTES = 4 * 1024 * 1024;

const WRITTEN = Promise.resolve();

/**
 * The gateway's write-ahead log of usage: a call is written down before the upstream is contacted
 * ("begin"), its usage before it is published ("end"), and JetStream's acknowledgement after ("acked"),
 * so a gateway killed at any point leaves a file from which the next start republishes what metering
 * may not have. The records of an event-loop turn are one synchronous `write` to a file opened for
 * appending, at the turn's end: `begin` and `end` resolve once theirs returned, and the call waits for
 * that before it goes on (to the upstream; to policy and the client), so nothing leaves the process
 * ahead of its record. A busy gateway begins and ends several calls a turn: one system call for all
 * of them (each was its own, ~6 % of the gateway's time at saturation). Once `write` returns the
 * bytes are in the kernel's page cache and outlive the process (SIGKILL, OOM, crash) but not the
 * machine, because there is no fsync. An fsync per call would cost milliseconds on the hot path.
 * A file that grew past `segmentBytes` stops taking new calls and is deleted once all its calls are acknowledged.
 */
export class UsageSpool {
  private current: Segment;
  private readonly calls = new Map<string, Segment>();
  private readonly unflushed = new Set<Segment>();
  /** Settles when this turn's records are written; undefined while none waits. */
  private written: Promise<void> | undefined;
  private settleWritten: () => void = () => {};
  private beforeWrite: () => void = () => {};
  private failing = false;
  private closed = false;

  /**
   * Claims the files of dead gateways first (see claimDeadSpools), then starts this process's own:
   * the claimed paths are for SpoolRecovery. Throws when the directory is not this user's alone.
   */
  static open(
    dir: string,
    logger: Logger,
    segmentBytes = DEFAULT_SEGMENT_BYTES,
  ): { spool: UsageSpool; claimed: string[] } {
    ensurePrivateDir(dir);
    const claimed = claimDeadSpools(dir, isAlive, (file, owner, why) =>
      logger.error({ file, owner }, `usage spool file refused, its usage is not republished: ${why}`),
    );
    const stranded = strandedSpools(dir, STRANDED_AFTER_MS);
    if (stranded.length > 0) {
      logger.warn(
        { dir, files: stranded.slice(0, 20), count: stranded.length },
        'usage spool files of another gateway instance are waiting to be reported: start that instance (same SLUICE_GATEWAY_INSTANCE_ID or host name) on this directory',
      );
    }
    return { spool: new UsageSpool(dir, logger, segmentBytes), claimed };
  }

  private constructor(
    private readonly dir: string,
    private readonly logger: Logger,
    private readonly segmentBytes: number,
  ) {
    this.current = this.openSegment();
  }

  /**
   * `send` runs as a turn's records are written, before the calls waiting for them go on: what must
   * leave ahead of their upstream requests (the turn's lease-call notices) leaves then.
   */
  sendFirst(send: () => void): void {
    this.beforeWrite = send;
  }

  /** Resolves once the call's begin record is written, before which its upstream must not be asked. */
  begin(record: BeginRecord): Promise<void> {
    if (this.closed) return WRITTEN;
    if (this.current.bytes >= this.segmentBytes) this.rotate();
    const segment = this.current;
    this.calls.set(record.callId, segment);
    segment.open++;
    return this.append(segment, encodeRecord(record));
  }

  /**
   * Resolves once the call's end record is written: as the call is finished, before its cost reaches
   * policy or the client, so a kill right after cannot make the next start bill the worst case for a
   * call already charged its real cost. It always precedes the call's acknowledgement, which comes
   * after the publish, in a later turn.
   */
  end(usage: UsageMessage): Promise<void> {
    if (this.closed) return WRITTEN;
    // encodeRecord's line for { t: 'e', usage }, with the usage's JSON made once.
    return this.append(this.segmentOf(usage.requestId), `{"t":"e","usage":${usageJson(usage)}}\n`);
  }

  /**
   * Acknowledgements arrive in bursts (one per call of a published batch) and nothing waits for them:
   * losing one to a kill only means republishing a call JetStream already stored (in a batch, under
   * another msgID): metering's unique request id records it once, and policy, finding it `recovered`,
   * looks it up before counting it.
   */
  acked(callId: string): void {
    const segment = this.calls.get(callId);
    if (!segment || this.closed) return;
    this.calls.delete(callId);
    segment.ackCount++;
    void this.append(segment, encodeRecord({ t: 'a', callId }));
  }

  private append(segment: Segment, line: string): Promise<void> {
    segment.pending += line;
    this.unflushed.add(segment);
    if (!this.written) {
      this.written = new Promise((resolve) => (this.settleWritten = resolve));
      setImmediate(this.flush);
    }
    return this.written;
  }

  /** Writes the turn's records, a write per file, and lets the calls waiting for them go on. */
  private readonly flush = (): void => {
    const settle = this.settleWritten;
    this.written = undefined;
    try {
      this.beforeWrite();
    } catch (err) {
      this.logger.error({ err: (err as Error).message }, 'sending ahead of the usage spool write failed');
    }
    try {
      for (const segment of this.unflushed) {
        this.write(segment, segment.pending);
        segment.open -= segment.ackCount;
        segment.pending = '';
        segment.ackCount = 0;
        if (segment.open === 0 && segment.retired) this.remove(segment);
      }
    } finally {
      // Whatever failed, the calls waiting for this write go on (as after a failed write).
      this.unflushed.clear();
      settle();
    }
  };

  /** The files in use, for tests and logs. */
  get paths(): string[] {
    const segments = new Set([this.current, ...this.calls.values(), ...this.unflushed]);
    return [...segments].map((s) => s.path);
  }

  /**
   * At shutdown: a file whose calls were all acknowledged is deleted, one with unfinished calls is left for the next
   * start.
   */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    const segments = new Set([this.current, ...this.calls.values()]);
    for (const segment of segments) {
      if (segment.open === 0) this.remove(segment);
      else {
        closeSync(segment.fd);
        release(segment.path);
      }
    }
  }

  private segmentOf(callId: string): Segment {
    const segment = this.calls.get(callId);
    if (segment) return segment;
    // An end without a begin (not expected): tracked like any call so its ack closes it.
    this.current.open++;
    this.calls.set(callId, this.current);
    return this.current;
  }

  private rotate(): void {
    const old = this.current;
    old.retired = true;
    this.current = this.openSegment();
    if (old.open === 0) this.remove(old);
  }

  private openSegment(): Segment {
    const path = join(this.dir, ownFileName('spool'));
    hold(path);
    return { path, fd: openSync(path, 'a', 0o600), bytes: 0, open: 0, retired: false, pending: '', ackCount: 0 };
  }

  private write(segment: Segment, lines: string): void {
    if (this.closed) return;
    try {
      // A write may take less than it was given (a file-size limit): the rest follows, or the
      // records that do not fit are lost whole — never half a line with the next record after it.
      const bytes = Buffer.from(lines);
      let written = 0;
      while (written < bytes.length) {
        const took = writeSync(segment.fd, bytes, written);
        if (took <= 0) throw new Error(`wrote ${written} of ${bytes.length} bytes`);
        written += took;
      }
      segment.bytes += written;
      this.failing = false;
    } catch (err) {
      // The call goes on: the spool protects metering against a crash, it is not worth refusing calls over.
      if (!this.failing)
        this.logger.error({ path: segment.path, err: (err as Error).message }, 'usage spool write failed');
      this.failing = true;
    }
  }

  private remove(segment: Segment): void {
    try {
      closeSync(segment.fd);
      unlinkSync(segment.path);
    } catch {
      // already closed or gone
    }
    release(segment.path);
  }
}
