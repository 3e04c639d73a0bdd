import type { GatewayConfig } from '../src/config';
import { routeEveryDialect } from './dialect-calls';
import { PROVIDER_SECRET, startHarness, type Harness } from './harness';
import { startHostileUpstream, type HostileUpstream } from './hostile-upstream';

/** The models every dialect path routes to the hostile upstream (`<prefix>-<model>`). */
const HOSTILE_MODELS = ['drip', 'held', 'big-json', 'firehose', 'endless-event', 'stall-stream'];

/** A harness whose `gpt-<model>` and `<prefix>-<model>` routes go to a hostile upstream. */
export async function withHostileUpstream(config: Partial<GatewayConfig>): Promise<[Harness, HostileUpstream]> {
  const [h, hostile] = await Promise.all([startHarness({ gateway: config }), startHostileUpstream()]);
  h.credentials.push({
    providerId: 'prov-hostile',
    type: 'openai-compatible',
    baseUrl: hostile.url,
    apiKey: PROVIDER_SECRET,
    secretVersion: 1,
  });
  for (const model of ['drip', 'firehose', 'endless-event', 'big-json'])
    h.routes.set(`gpt-${model}`, {
      providerId: 'prov-hostile',
      providerType: 'openai-compatible',
      baseUrl: hostile.url,
      upstreamModel: model,
    });
  routeEveryDialect(h, hostile.url, HOSTILE_MODELS);
  return [h, hostile];
}
