import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import pino from 'pino';
import { modelPrice, Streams, Subjects, type UsageMessage } from '@sluice/contracts';
import { connectNats, ensureStreams, publishDurable, type NatsConnection } from '@sluice/messaging';
import { startTestNats, streamMessages, type TestNats } from '@sluice/testing';
import { DEFAULT_CONFIG } from '../../config';
import type { CallFacts } from '../usage-message';
import { usageMessage } from '../usage-message';
import { UsagePublisher } from '../usage-publisher';
import { claimDeadSpools, strandedSpools } from './spool-files';
import { beginRecord, encodeRecord, unreportedUsage } from './spool-records';
import { SpoolRecovery } from './spool-recovery';
import { UsageSpool } from './usage-spool';

jest.setTimeout(60_000);

const logger = pino({ level: 'silent' });
const PRICE = modelPrice({ inputUsdPerMTok: 2, outputUsdPerMTok: 8, cachedInputUsdPerMTok: null });

const call = (callId: string): CallFacts => ({
  requestId: callId,
  callId,
  keyId: 'key-1',
  model: 'gpt-test',
  route: {
    providerId: 'prov-1',
    providerType: 'openai-compatible',
    baseUrl: null,
    upstreamModel: 'upstream-gpt',
    price: PRICE,
  },
  op: 'chat',
  stream: false,
  clientIp: '127.0.0.1',
  startedAt: Date.UTC(2026, 10, 24, 12),
  t0: 0,
  worstCase: { inputTokens: 12, outputTokens: 200 },
});
const served = (callId: string): UsageMessage =>
  usageMessage(call(callId), {
    status: 200,
    tokens: { inputTokens: 12, cachedInputTokens: 0, outputTokens: 30, reasoningTokens: 0 },
    estimated: false,
    latencyMs: 3,
    ttfbMs: 1,
  });
const begin = (spool: UsageSpool, callId: string) => spool.begin(beginRecord(call(callId)));

/** Acknowledgements are written at the end of the event-loop turn. */
const endOfTurn = () => new Promise((resolve) => setImmediate(resolve));
/** A pid no process has any more: the files a SIGKILLed gateway leaves carry one. */
const deadPid = (): number => spawnSync(process.execPath, ['-e', '']).pid!;
/** What a SIGKILL leaves: the spool's files, owned by a process that is gone. */
function abandon(spool: UsageSpool): void {
  const pid = deadPid();
  for (const path of spool.paths) renameSync(path, join(path, '..', basename(path).replace(/~\d+-/, `~${pid}-`)));
}

describe('the usage spool (real NATS JetStream)', () => {
  let nats: TestNats;
  let nc: NatsConnection;
  let dir: string;
  beforeAll(async () => {
    nats = await startTestNats();
    nc = await connectNats(nats.url, 'usage-spool-test');
    await ensureStreams(nc);
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-spool-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  afterAll(async () => {
    await nc?.close();
    await nats?.stop();
  });

  const stored = (): Promise<UsageMessage[]> => streamMessages<UsageMessage>(nc, Streams.usage.name);
  const storedFor = async (prefix: string) => (await stored()).filter((m) => m.requestId.startsWith(prefix));

  it('republishes a killed gateway’s unacknowledged usage once, estimates the calls it never finished, then deletes the file', async () => {
    const first = UsageSpool.open(dir, logger);
    const publisher = new UsagePublisher(nc, logger, (id) => first.spool.acked(id));
    for (const id of ['k1-acked', 'k1-ended', 'k1-begun']) void begin(first.spool, id);
    await first.spool.end(served('k1-acked'));
    publisher.publish(served('k1-acked'));
    await publisher.flush(5000);
    await endOfTurn();
    await first.spool.end(served('k1-ended'));
    abandon(first.spool);

    const second = UsageSpool.open(dir, logger);
    expect(second.claimed).toHaveLength(1);
    const recovery = new SpoolRecovery(
      second.claimed,
      (usage) => new UsagePublisher(nc, logger).deliver(usage),
      logger,
    );
    expect(await recovery.done).toEqual({ files: 1, reported: 1, estimated: 1, failed: 0 });

    const messages = await storedFor('k1-');
    expect(messages.map((m) => m.requestId).sort()).toEqual(['k1-acked', 'k1-begun', 'k1-ended']);
    expect(messages.find((m) => m.requestId === 'k1-ended')).toEqual({ ...served('k1-ended'), recovered: true });
    expect(messages.find((m) => m.requestId === 'k1-begun')).toMatchObject({
      estimated: true,
      recovered: true,
      status: 0,
      inputTokens: 12,
      outputTokens: 200,
      costNanos: 12 * 2000 + 200 * 8000,
    });
    expect(readdirSync(dir).map((f) => join(dir, f))).toEqual(second.spool.paths);
    second.spool.close();
  });

  it('does not count twice a message that landed although its acknowledgement never reached the spool', async () => {
    const first = UsageSpool.open(dir, logger);
    void begin(first.spool, 'k2-lost-ack');
    await first.spool.end(served('k2-lost-ack'));
    await publishDurable(nc, Subjects.usage, served('k2-lost-ack'), 'k2-lost-ack');
    abandon(first.spool);

    const second = UsageSpool.open(dir, logger);
    await new SpoolRecovery(second.claimed, (usage) => new UsagePublisher(nc, logger).deliver(usage), logger).done;
    expect(await storedFor('k2-')).toHaveLength(1);
    second.spool.close();
  });

  it('leaves the files of live gateways, of other hosts and of this process alone, and gives each dead file to one claimer', async () => {
    const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    const host = hostname().replace(/[^A-Za-z0-9_.-]/g, '_');
    try {
      writeFileSync(join(dir, `${host}~${live.pid}-aaaa.spool`), '');
      writeFileSync(join(dir, `${host}~${deadPid()}-bbbb.spool`), '');
      // Another pod's file on a shared volume: its pid means nothing here.
      writeFileSync(join(dir, `other-pod~${deadPid()}-cccc.spool`), '');
      const mine = UsageSpool.open(dir, logger);
      expect(mine.claimed).toHaveLength(1);
      expect(claimDeadSpools(dir)).toEqual([]);
      const left = readdirSync(dir);
      expect(left.filter((name) => name.startsWith('other-pod~'))).toHaveLength(1);
      expect(left.filter((name) => !name.startsWith('other-pod~')).sort()).toEqual(
        [`${host}~${live.pid}-aaaa.spool`, basename(mine.claimed[0]), basename(mine.spool.paths[0])].sort(),
      );
      mine.spool.close();
    } finally {
      live.kill('SIGKILL');
    }
  });

  it('points out other instances’ files left untouched for a while, which no gateway here will report', () => {
    writeFileSync(join(dir, 'gone-pod~7-aaaa.spool'), '');
    utimesSync(join(dir, 'gone-pod~7-aaaa.spool'), new Date(Date.now() - 3600_000), new Date(Date.now() - 3600_000));
    writeFileSync(join(dir, 'busy-pod~8-bbbb.spool'), '');
    expect(strandedSpools(dir, 10 * 60_000)).toEqual(['gone-pod~7-aaaa.spool']);
  });

  it('writes the records of the calls a turn begins and ends at once, and lets none of them go on before its record is in the file', async () => {
    const { spool } = UsageSpool.open(dir, logger);
    // The node:fs every module shares (a namespace import would be a copy).
    const writes = jest.spyOn(jest.requireActual<typeof import('node:fs')>('node:fs'), 'writeSync');
    const inFile = (callId: string) => readFileSync(spool.paths[0], 'utf8').includes(`"${callId}"`);
    const begun = Array.from({ length: 50 }, (_, i) => begin(spool, `k6-${i}`).then(() => inFile(`k6-${i}`)));
    expect(await Promise.all(begun)).toEqual(Array(50).fill(true));
    const ended = Array.from({ length: 50 }, (_, i) =>
      spool.end(served(`k6-${i}`)).then(() => unreportedUsage(readFileSync(spool.paths[0], 'utf8'))),
    );
    for (const unreported of await Promise.all(ended))
      expect(unreported.filter((u) => u.requestId.startsWith('k6-')).map((u) => u.estimated)).toEqual(
        Array(50).fill(false),
      );
    expect(writes).toHaveBeenCalledTimes(2);
    writes.mockRestore();
    spool.close();
  });

  it('starts a new file once one grows past its size and deletes the old one when all its calls are acknowledged', async () => {
    const { spool } = UsageSpool.open(dir, logger, 2000);
    await begin(spool, 'k4-long');
    for (let i = 0; i < 20; i++) {
      void begin(spool, `k4-${i}`);
      await spool.end(served(`k4-${i}`));
      spool.acked(`k4-${i}`);
      await endOfTurn();
    }
    // The first file still holds the long call: it stays until that call is acknowledged.
    expect(readdirSync(dir)).toHaveLength(2);
    expect(spool.paths.map((path) => readFileSync(path, 'utf8').includes('"k4-long"'))).toEqual([false, true]);
    await spool.end(served('k4-long'));
    spool.acked('k4-long');
    await endOfTurn();
    expect(readdirSync(dir)).toEqual([basename(spool.paths[0])]);
    expect(spool.paths).toHaveLength(1);
    spool.close();
    expect(readdirSync(dir)).toEqual([]);
  });

  describe('against other local users (the tests run as root, so they can hand files to another uid)', () => {
    const OTHER_UID = 4321;
    const host = hostname().replace(/[^A-Za-z0-9_.-]/g, '_');
    const captured = (): { logger: pino.Logger; lines: Record<string, unknown>[] } => {
      const lines: Record<string, unknown>[] = [];
      return { lines, logger: pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) }) };
    };

    it('defaults to a folder under the data directory, never the shared temp directory', () => {
      expect(DEFAULT_CONFIG.spoolDir).toBe(join(process.env.SLUICE_DATA_DIR || '.sluice', 'gateway-spool'));
      expect(DEFAULT_CONFIG.spoolDir.startsWith(tmpdir())).toBe(false);
    });

    it('creates its directory readable and writable by its own user only', () => {
      const { spool } = UsageSpool.open(join(dir, 'data', 'gateway-spool'), logger);
      expect(statSync(join(dir, 'data', 'gateway-spool')).mode & 0o777).toBe(0o700);
      expect(statSync(spool.paths[0]).mode & 0o077).toBe(0);
      spool.close();
    });

    it('does not republish a spool file another user planted, and says why in its log', async () => {
      const planted = join(dir, `${host}~${deadPid()}-dddd.spool`);
      writeFileSync(
        planted,
        encodeRecord({ t: 'e', usage: { ...served('k5-planted'), keyId: 'key-of-a-victim', costUsd: 1000 } }),
      );
      chownSync(planted, OTHER_UID, OTHER_UID);
      const { logger: log, lines } = captured();
      const opened = UsageSpool.open(dir, log);
      expect(opened.claimed).toEqual([]);
      await new SpoolRecovery(opened.claimed, (usage) => new UsagePublisher(nc, logger).deliver(usage), logger).done;
      expect(await storedFor('k5-')).toEqual([]);
      expect(lines).toContainEqual(
        expect.objectContaining({
          level: 50,
          file: planted,
          owner: OTHER_UID,
          msg: expect.stringContaining("not by this gateway's user"),
        }),
      );
      opened.spool.close();
    });

    it('refuses a spool directory another user owns or may write to', () => {
      chmodSync(dir, 0o777);
      expect(() => UsageSpool.open(dir, logger)).toThrow(/other users can write to it \(mode 777\)/);
      chmodSync(dir, 0o1777);
      expect(() => UsageSpool.open(dir, logger)).toThrow(/other users can write to it/);
      chmodSync(dir, 0o700);
      chownSync(dir, OTHER_UID, OTHER_UID);
      expect(() => UsageSpool.open(dir, logger)).toThrow(new RegExp(`owned by uid ${OTHER_UID}`));
      expect(readdirSync(dir)).toEqual([]);
    });
  });
});
