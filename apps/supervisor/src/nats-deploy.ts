import { stringify } from 'yaml';
import { natsUserConfig, renderNatsConfig } from '@sluice/embedded';
import { natsPasswordVariable, natsUsers } from './nats-users';
import { SERVICE_NAMES, type ServiceName } from './service-names';

/**
 * The per-service users and permissions of `npm start`'s embedded NATS, for the NATS servers of
 * docker-compose.yml and deploy/ (`node scripts/nats-auth.mjs` writes these files; a test checks
 * them). Passwords are the server's environment variables `SLUICE_NATS_<SERVICE>_PASSWORD`.
 */
const HEADER = '# Written by `node scripts/nats-auth.mjs` from apps/supervisor/src/nats-users.ts: do not edit.\n';

const withPasswords = (password: (service: ServiceName) => string) =>
  natsUsers(Object.fromEntries(SERVICE_NAMES.map((s) => [s, password(s)])) as Record<ServiceName, string>);

/** `deploy/nats-auth.conf`: an `authorization` block for nats-server.conf (`include`) or `-c`. */
export function natsAuthConf(): string {
  return HEADER + renderNatsConfig({ users: withPasswords((s) => `$${natsPasswordVariable(s)}`) });
}

/** `deploy/nats-values.yaml`: the same for the official NATS Helm chart, passwords from the `sluice-secrets` Secret. */
export function natsHelmValues(): string {
  const users = withPasswords((s) => `<< $${natsPasswordVariable(s)} >>`).map(natsUserConfig);
  const env = Object.fromEntries(
    SERVICE_NAMES.map((s) => [
      natsPasswordVariable(s),
      { valueFrom: { secretKeyRef: { name: 'sluice-secrets', key: natsPasswordVariable(s) } } },
    ]),
  );
  return HEADER + stringify({ config: { merge: { authorization: { users } } }, container: { env } }, { lineWidth: 0 });
}
