import { isIP } from 'node:net';
import { CreateKeyBody } from '@sluice/contracts';
import { isCidr, validateKeyBody } from './key-rules';

const now = Date.parse('2026-11-24T12:00:00Z');
const future = '2027-01-01T00:00:00Z';

/** The API's verdict: ok, or the field its first issue names. */
const api = (body: Record<string, unknown>) => {
  const parsed = CreateKeyBody.safeParse(body);
  return parsed.success
    ? null
    : parsed.error.issues[0].path
        .slice(0, 2)
        .filter((p) => typeof p === 'string')
        .join('.');
};
const console_ = (body: Record<string, unknown>) => Object.keys(validateKeyBody(body, now))[0] ?? null;

describe("the console's key rules agree with the admin API's schema", () => {
  const bodies: Record<string, unknown>[] = [
    { name: 'billing' },
    { name: '' },
    { name: '   ' },
    { name: 'x'.repeat(128) },
    { name: 'x'.repeat(129) },
    { name: 'k', description: 'd'.repeat(1024) },
    { name: 'k', description: 'd'.repeat(1025) },
    { name: 'k', models: ['gpt-4o*', 'claude-*'] },
    { name: 'k', models: [] },
    { name: 'k', models: [''] },
    { name: 'k', models: ['m'.repeat(257)] },
    { name: 'k', operations: ['chat', 'embeddings'] },
    { name: 'k', operations: ['responses'] },
    { name: 'k', operations: ['images'] },
    { name: 'k', ipAllowlist: ['10.0.0.0/8', '2001:db8::/32', '127.0.0.1', '::ffff:10.0.0.1', '::'] },
    { name: 'k', ipAllowlist: ['10.0.0.0/33'] },
    { name: 'k', ipAllowlist: ['10.0.0'] },
    { name: 'k', ipAllowlist: ['2001:db8::/129'] },
    { name: 'k', ipAllowlist: ['example.com'] },
    { name: 'k', providerIds: ['prov_1'] },
    { name: 'k', expiresAt: future },
    { name: 'k', expiresAt: '2027-01-01T00:00:00+02:00' },
    { name: 'k', expiresAt: 'tomorrow' },
    { name: 'k', metadata: { team: 'a', n: 1 } },
    { name: 'k', metadata: ['a'] },
    { name: 'k', rateLimits: { requestsPerMinute: 600, tokensPerMinute: 100000, maxParallelRequests: 5 } },
    { name: 'k', rateLimits: { requestsPerMinute: 0 } },
    { name: 'k', rateLimits: { requestsPerHour: 1.5 } },
    { name: 'k', rateLimits: { requestsPerDay: -3 } },
    {
      name: 'k',
      budget: { maxUsd: 25, period: '30d', alertThresholds: [50, 80, 100], webhookUrl: 'https://hooks.example.com/s' },
    },
    { name: 'k', budget: { maxUsd: 25, period: null } },
    { name: 'k', budget: { maxUsd: 0 } },
    { name: 'k', budget: { maxUsd: 2e9 } },
    { name: 'k', budget: { maxUsd: 1, period: '367d' } },
    { name: 'k', budget: { maxUsd: 1, period: '1w' } },
    { name: 'k', budget: { maxUsd: 1, period: '0h' } },
    { name: 'k', budget: { maxUsd: 1, alertThresholds: [0] } },
    { name: 'k', budget: { maxUsd: 1, alertThresholds: [101] } },
    { name: 'k', budget: { maxUsd: 1, alertThresholds: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] } },
    { name: 'k', budget: { maxUsd: 1, webhookUrl: 'ftp://example.com/x' } },
    { name: 'k', budget: { maxUsd: 1, webhookUrl: 'not a url' } },
  ];

  it.each(bodies.map((b) => [JSON.stringify(b).slice(0, 90), b]))('%s', (_, body) => {
    expect(console_(body as Record<string, unknown>)).toBe(api(body as Record<string, unknown>));
  });

  it('refuses an expiry in the past, as key-registry does', () => {
    expect(validateKeyBody({ name: 'k', expiresAt: '2020-01-01T00:00:00Z' }, now)).toEqual({
      expiresAt: 'Must be in the future.',
    });
  });

  it('reads addresses as node does', () => {
    const samples = [
      '1.2.3.4',
      '01.2.3.4',
      '256.1.1.1',
      '::',
      '::1',
      '1::',
      '1:2:3:4:5:6:7:8',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7::',
      '::ffff:1.2.3.4',
      '1:2:3:4:5:6:1.2.3.4',
      '1:2:3:4:5:6:7:1.2.3.4',
      'fe80::1%eth0',
      ':1::',
      '1:::2',
      'g::1',
      '12345::',
      '',
    ];
    for (const s of samples) expect([s, isCidr(s)]).toEqual([s, isIP(s) !== 0]);
  });
});
