import type { UsageMessage } from '@sluice/contracts';
import { usageFixture } from '@sluice/testing';
import { cleanUsage, withoutCallerFields } from './clean-usage';

const usage = (over: Partial<UsageMessage> = {}) => usageFixture('req-1', over);

describe('making a usage message storable', () => {
  it('leaves a storable message as it is, flagging nothing', () => {
    const message = usage({ user: 'bob 😀', metadata: { team: 'search' }, clientRequestId: 'r-1' });
    expect(cleanUsage(message)).toEqual({ ok: true, usage: message });
  });

  it('replaces NULs and unpaired surrogates in caller fields with U+FFFD and names each field cleaned', () => {
    const cleaned = cleanUsage(
      usage({ user: 'a\u0000b', metadata: { 't\u0000': 'x\ud800', ok: 'fine' }, clientRequestId: 'id\udc00' }),
    );
    expect(cleaned).toEqual({
      ok: true,
      usage: expect.objectContaining({
        user: 'a\uFFFDb',
        metadata: { 't\uFFFD': 'x\uFFFD', ok: 'fine' },
        clientRequestId: 'id\uFFFD',
        cleanedFields: ['user', 'metadata', 'clientRequestId'],
      }),
    });
  });

  it('refuses to change who pays or for what: an unstorable accounting field makes the message unrecordable', () => {
    expect(cleanUsage(usage({ keyId: 'key\u0000' }))).toEqual({ ok: false, reason: 'keyId holds a NUL' });
    expect(cleanUsage(usage({ model: 'gpt\ud800' }))).toEqual({
      ok: false,
      reason: 'model holds an unpaired surrogate',
    });
  });

  it('drops every caller field as a last resort, and says there is nothing to drop when there is none', () => {
    expect(
      withoutCallerFields(usage({ user: 'a', metadata: { b: 'c' }, cleanedFields: ['metadata'] } as never)),
    ).toEqual(
      expect.objectContaining({
        user: null,
        metadata: null,
        clientRequestId: null,
        cleanedFields: ['metadata', 'user'],
      }),
    );
    expect(withoutCallerFields(usage())).toBeNull();
  });
});
