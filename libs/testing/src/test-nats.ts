import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNatsServer } from '@sluice/embedded';
import { containerImages, resolveInfraMode } from './infra-mode';
import { freePort } from './test-ports';

/** A NATS server with JetStream of one's own, so test files never share JetStream state. */
export interface TestNats {
  readonly url: string;
  /** Stops the server and deletes its data. */
  stop(): Promise<void>;
  /** Kills the server (SIGKILL) and resolves once it is gone; restart() brings it back. */
  kill(): Promise<void>;
  /** Stops (if running) and starts the server again with the same port and JetStream data. */
  restart(): Promise<void>;
}

export interface TestNatsOptions {
  /** The server's max_payload in bytes, to test what happens to messages above it. */
  maxPayload?: number;
}

export async function startTestNats(opts: TestNatsOptions = {}): Promise<TestNats> {
  return (await resolveInfraMode()) === 'containers' ? startContainerNats(opts) : startLocalNats(opts);
}

async function startLocalNats(opts: TestNatsOptions): Promise<TestNats> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-test-nats-'));
  const nats = await startNatsServer({ dataDir, port: await freePort(), maxPayload: opts.maxPayload }).catch((err) => {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  });
  return {
    url: nats.url,
    async stop() {
      await nats.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
    async kill() {
      nats.kill();
      await nats.waitForExit();
    },
    restart: () => nats.restart(),
  };
}

async function startContainerNats(opts: TestNatsOptions): Promise<TestNats> {
  const { GenericContainer, Wait, getContainerRuntimeClient } = await import('testcontainers');
  // A fixed host port: Docker would map a new random one on restart and clients could not reconnect.
  const hostPort = await freePort();
  const config =
    opts.maxPayload === undefined
      ? []
      : [{ content: `max_payload: ${opts.maxPayload}\n`, target: '/etc/nats/sluice-test.conf' }];
  const container = await new GenericContainer(containerImages.nats())
    .withCopyContentToContainer(config)
    .withCommand(['-js', '-sd', '/data', ...(config.length ? ['-c', config[0].target] : [])])
    .withExposedPorts({ container: 4222, host: hostPort })
    .withWaitStrategy(Wait.forLogMessage(/Server is ready/))
    .start();
  return {
    url: `nats://${container.getHost()}:${hostPort}`,
    async stop() {
      await container.stop();
    },
    async kill() {
      const client = await getContainerRuntimeClient();
      const killed = client.container.getById(container.getId());
      // Resolves once the container has stopped, as the local server's kill does: a restart issued
      // while it is still going down can miss its own "Server is ready" line.
      const stopped = killed.wait({ condition: 'not-running' });
      await killed.kill();
      await stopped;
    },
    restart: () => container.restart(),
  };
}
