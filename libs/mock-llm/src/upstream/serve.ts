import { createServer } from 'node:http';
import { startMockUpstream } from './server';

/**
 * The mock upstream as a process of its own, for a system the tests reach only from outside (the
 * compose stack): the OpenAI-compatible API on PORT (8000) and, on INVOICE_PORT (8001), `GET
 * /invoice` — what it billed so far, to compare with what Sluice charged.
 */
async function main(): Promise<void> {
  const host = process.env.HOST ?? '0.0.0.0';
  const upstream = await startMockUpstream({ host, port: Number(process.env.PORT ?? 8000) });
  const invoice = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/invoice') return void res.writeHead(404).end();
    const { calls, promptTokens, completionTokens, lastAuthorization } = upstream.invoice;
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ calls, promptTokens, completionTokens, lastAuthorization }));
  });
  await new Promise<void>((resolve) => invoice.listen(Number(process.env.INVOICE_PORT ?? 8001), host, resolve));
  const stop = () => {
    invoice.close();
    void upstream.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err) => {
  process.stderr.write(`mock upstream: ${(err as Error).message}\n`);
  process.exit(1);
});
