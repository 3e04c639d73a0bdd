export { findBinary, BinaryNotFoundError } from './find-binary';
export { freePort } from './net';
export { diesWithParent } from './parent-death';
export { EMBEDDED_GO_SETTINGS, startNatsServer, type NatsServerOptions, type EmbeddedNats } from './nats-server';
export { natsUserConfig, renderNatsConfig, type NatsUser, type NatsPermissions } from './nats-config';
export {
  startPostgres,
  ensureDatabase,
  databaseUrl,
  redactedUrl,
  type PostgresOptions,
  type EmbeddedPostgres,
} from './postgres';
export { RELOCATED_CLUSTERS_DIR } from './postgres-cluster-dir';
export { writePrivateFile } from './private-files';
export { makeDataDirPrivate } from './data-dir';
