import { buildConnector } from 'undici';
import { checkAddressLiteral, guardedLookup, type BaseLookup } from './guarded-lookup';
import type { UpstreamAllowList } from './upstream-allow-list';

/**
 * undici's connector with the outbound policy (provider upstreams, webhooks) applied to every new connection: a host
 * name is
 * resolved by a lookup that refuses disallowed answers (so DNS rebinding after the provider was
 * added does not help), and an address literal, which `net.connect` dials without any lookup, is
 * checked here. Keep-alive connections are checked once, when they open.
 */
export function guardedConnector(allow: UpstreamAllowList, lookup?: BaseLookup): buildConnector.connector {
  const connect = buildConnector({ lookup: guardedLookup(allow, lookup) } as buildConnector.BuildOptions);
  return (options, callback) => {
    const refused = checkAddressLiteral(allow, options.hostname);
    if (refused) return callback(refused, null);
    return connect(options, callback);
  };
}
