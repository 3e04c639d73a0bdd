import { Subjects } from '@sluice/contracts';
import { startTestNats, type TestNats } from '@sluice/testing';
import { connectNats, type NatsConnection } from './connection';
import { requestAllParts } from './reply-parts';
import { request, serve } from './rpc';

const MAX_PAYLOAD = 4096;

describe('replies above the server max_payload (real NATS with a 4 KB max_payload)', () => {
  let nats: TestNats;
  let server: NatsConnection;
  let client: NatsConnection;
  const errors: string[] = [];

  beforeAll(async () => {
    nats = await startTestNats({ maxPayload: MAX_PAYLOAD });
    [server, client] = await Promise.all([connectNats(nats.url, 'rpc-server'), connectNats(nats.url, 'rpc-client')]);
    serve(server, 'test.rpc.size', async (payload) => 'x'.repeat((payload as { bytes: number }).bytes), {
      queue: 'test',
      logger: { error: (_obj, msg) => void errors.push(msg) },
    });
    await server.flush();
  });
  afterAll(async () => {
    await Promise.all([server?.drain(), client?.drain()]);
    await nats?.stop();
  });

  it('answers a request whose reply would be too large with an error, and goes on answering', async () => {
    await expect(request(client, 'test.rpc.size', { bytes: 3 * MAX_PAYLOAD })).rejects.toMatchObject({
      code: 'INTERNAL',
      message: expect.stringContaining('max_payload'),
    });
    expect(errors).toEqual([expect.stringContaining('max_payload')]);
    await expect(request(client, 'test.rpc.size', { bytes: 10 })).resolves.toBe('x'.repeat(10));
    expect(server.isClosed()).toBe(false);
  });

  it('collects nothing, at once, when no one answers a question asked in parts', async () => {
    const started = Date.now();
    expect(
      await requestAllParts(client, Subjects.gatewayInFlight, { maxWaitMs: 5000, completeWithinMs: 5000 }),
    ).toEqual({ items: [], responders: 0, incomplete: 0 });
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
