import type { LookupAddress } from 'node:dns';
import { checkAddressLiteral, guardedLookup, UpstreamNotAllowedError, type BaseLookup } from './guarded-lookup';
import { UpstreamAllowList } from './upstream-allow-list';

/** A resolver whose answers change between calls, as a rebinding attacker's DNS does. */
function rebindingDns(answers: string[][]): BaseLookup {
  let call = 0;
  return (_host, _options, callback) => {
    const addresses = answers[Math.min(call++, answers.length - 1)];
    callback(
      null,
      addresses.map((address): LookupAddress => ({ address, family: address.includes(':') ? 6 : 4 })),
    );
  };
}

const lookupOnce = (lookup: ReturnType<typeof guardedLookup>, all: boolean) =>
  new Promise<{ err: Error | null; address: unknown; family?: number }>((resolve) =>
    lookup('rebind.example.com', { all }, (err, address, family) => resolve({ err, address, family })),
  );

describe('guardedLookup', () => {
  it('passes allowed answers through in the shape the caller asked for', async () => {
    const lookup = guardedLookup(UpstreamAllowList.none, rebindingDns([['93.184.216.34']]));
    expect(await lookupOnce(lookup, false)).toEqual({ err: null, address: '93.184.216.34', family: 4 });
    expect(await lookupOnce(lookup, true)).toEqual({
      err: null,
      address: [{ address: '93.184.216.34', family: 4 }],
      family: undefined,
    });
  });

  it('refuses the connection when the same name later resolves to the metadata address', async () => {
    const lookup = guardedLookup(UpstreamAllowList.none, rebindingDns([['93.184.216.34'], ['169.254.169.254']]));
    expect((await lookupOnce(lookup, true)).err).toBeNull();
    const { err } = await lookupOnce(lookup, true);
    expect(err).toBeInstanceOf(UpstreamNotAllowedError);
    expect((err as UpstreamNotAllowedError).reason).toBe(
      'rebind.example.com resolves to 169.254.169.254, a link-local address',
    );
  });

  it('refuses an answer that mixes an allowed and a refused address', async () => {
    const lookup = guardedLookup(UpstreamAllowList.none, rebindingDns([['93.184.216.34', '::ffff:10.0.0.1']]));
    expect((await lookupOnce(lookup, false)).err).toBeInstanceOf(UpstreamNotAllowedError);
  });

  it('accepts any answer for a host name the operator allowed', async () => {
    const lookup = guardedLookup(UpstreamAllowList.parse('rebind.example.com'), rebindingDns([['10.0.0.1']]));
    expect((await lookupOnce(lookup, false)).err).toBeNull();
  });
});

describe('checkAddressLiteral', () => {
  it('refuses a literal outside the policy and ignores host names (they go through the lookup)', () => {
    expect(checkAddressLiteral(UpstreamAllowList.none, '169.254.169.254')?.reason).toBe(
      '169.254.169.254 is a link-local address',
    );
    expect(checkAddressLiteral(UpstreamAllowList.parse('127.0.0.0/8'), '127.0.0.1')).toBeNull();
    expect(checkAddressLiteral(UpstreamAllowList.none, 'localhost')).toBeNull();
  });
});
