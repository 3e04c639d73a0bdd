// The mock OpenAI-compatible upstream in its own process (forked by the benchmark, with IPC).
// It answers `{ type: 'invoice' }` with the calls it billed so far and the Authorization header of
// the latest one, so the benchmark can check that every target really reached it with the
// upstream key. The per-request entries are dropped every second to keep its memory flat.
import { createRequire } from 'node:module';
import { join } from 'node:path';

const root = process.argv[2];
const port = Number(process.argv[3] ?? 0);
// Its Messages path (Anthropic's API) answers only calls that carry this x-api-key.
const anthropicApiKey = process.argv[4];
const require = createRequire(import.meta.url);
const { startMockUpstream } = require(join(root, 'libs/mock-llm/dist/index.js'));

const upstream = await startMockUpstream({ port, host: '127.0.0.1', anthropicApiKey });
const trim = setInterval(() => upstream.invoice.byRequest.clear(), 1000);
trim.unref();

process.on('message', (message) => {
  if (message?.type === 'invoice') {
    const { calls, promptTokens, completionTokens, lastAuthorization } = upstream.invoice;
    process.send({
      type: 'invoice',
      id: message.id,
      invoice: { calls, promptTokens, completionTokens, lastAuthorization },
    });
  }
});
// The benchmark going away (even killed) closes the IPC channel: leave with it.
process.on('disconnect', () => upstream.close().finally(() => process.exit(0)));
process.send({ type: 'ready', url: upstream.url });
