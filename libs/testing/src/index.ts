export { freePort } from '@sluice/embedded';
export { startTestNats, type TestNats, type TestNatsOptions } from './test-nats';
export { testDatabaseUrl } from './test-database';
export { waitFor, type WaitForOptions } from './wait-for';
export { resolveInfraMode, type InfraMode } from './infra-mode';
export { streamMessages } from './stream-messages';
export { usageFixture } from './usage-fixture';
export { launchBrowser, type TestBrowser } from './browser';
export { parsePrometheusText, sampleValue, type Sample } from './prometheus-text';
