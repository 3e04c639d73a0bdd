import { jetstreamManager } from '@nats-io/jetstream';
import { startTestNats, type TestNats } from '@sluice/testing';
import { connectNats, type NatsConnection } from './connection';
import { publishDurable } from './jetstream';
import { NoResponders, RequestMux, RequestTimedOut } from './request-mux';

const encode = (s: string) => new TextEncoder().encode(s);

describe('requests over one reply subscription (real NATS)', () => {
  let nats: TestNats;
  let nc: NatsConnection;
  let responder: NatsConnection;

  beforeAll(async () => {
    nats = await startTestNats();
    nc = await connectNats(nats.url, 'mux-test');
    responder = await connectNats(nats.url, 'mux-responder');
  });
  afterAll(async () => {
    await responder?.drain();
    await nc?.drain();
    await nats?.stop();
  });

  it('hands each caller its own answer, whatever order they come back in', async () => {
    // Answers the first request last.
    const held: { respond: () => void }[] = [];
    responder.subscribe('mux.held', {
      max: 3,
      callback: (_err, msg) => {
        held.push({ respond: () => msg.respond(msg.data) });
        if (held.length === 3) for (const h of held.reverse()) h.respond();
      },
    });
    await responder.flush();
    const mux = RequestMux.of(nc);
    const answers = await Promise.all(['a', 'b', 'c'].map((s) => mux.request('mux.held', encode(s), 5000)));
    expect(answers.map((m) => m.string())).toEqual(['a', 'b', 'c']);
  });

  it('refuses at once when no one answers on the subject, and times out when the answer is late', async () => {
    const mux = RequestMux.of(nc);
    await expect(mux.request('mux.nobody', encode('x'), 60_000)).rejects.toBeInstanceOf(NoResponders);
    let late: (() => void) | undefined;
    responder.subscribe('mux.late', {
      callback: (_err, msg) => {
        late = () => msg.respond(encode('late'));
      },
    });
    await responder.flush();
    await expect(mux.request('mux.late', encode('x'), 200)).rejects.toBeInstanceOf(RequestTimedOut);
    late?.(); // an answer after the timeout is dropped, and the next request gets its own
    responder.subscribe('mux.echo', {
      callback: (_err, msg) => {
        msg.respond(msg.data);
      },
    });
    await responder.flush();
    expect((await mux.request('mux.echo', encode('after'), 5000)).string()).toBe('after');
  });

  it('publishes to JetStream once per message id, and fails when no stream takes the subject', async () => {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'MUX_TEST', subjects: ['mux.stored'] });
    await publishDurable(nc, 'mux.stored', { n: 1 }, 'id-1');
    await publishDurable(nc, 'mux.stored', { n: 1 }, 'id-1');
    await publishDurable(nc, 'mux.stored', { n: 2 }, 'id-2');
    expect((await jsm.streams.info('MUX_TEST')).state.messages).toBe(2);
    const stored = await jsm.streams.getMessage('MUX_TEST', { seq: 1 });
    expect(stored?.header?.get('Nats-Msg-Id')).toBe('id-1');
    await expect(publishDurable(nc, 'mux.unstored', { n: 3 }, 'id-3')).rejects.toThrow();
  });
});
