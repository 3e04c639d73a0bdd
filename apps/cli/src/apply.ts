import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AdminClient } from './admin-client';
import type { Io } from './io';
import { parseManifest } from './manifest';
import { computePlan } from './plan';
import { providerIdsByName, resolveProviderRefs } from './plan-catalog';
import { planKeys } from './plan-keys';
import { conflicts, hasChanges, renderPlan, type Plan } from './render';
import { writeSecretsFile, type NewSecret } from './secrets-file';

export interface ApplyOptions {
  file: string;
  dryRun: boolean;
  prune: boolean;
  secretsOut?: string;
}

/**
 * `sluice apply -f keys.yaml`: reads the live state through the admin API, prints the plan and,
 * unless --dry-run, applies it (providers, then models, then keys). Asks nothing. The secrets of
 * new keys are printed once, or written to --secrets-out, also when a later step fails.
 */
export async function apply(client: AdminClient, opts: ApplyOptions, io: Io): Promise<number> {
  const manifest = parseManifest(readFileSync(resolve(io.cwd, opts.file), 'utf8'), opts.file);
  const live = {
    keys: await client.listKeys(),
    providers: await client.listProviders(),
    models: await client.listModels(),
  };
  const plan = computePlan(manifest, live, opts);
  io.out(`Plan for ${opts.file} against ${client.baseUrl}${opts.dryRun ? ' (dry run)' : ''}:`);
  io.out(renderPlan(plan));
  if (conflicts(plan).length > 0) {
    io.err('Nothing was applied: resolve the conflicts marked ! first.');
    return 1;
  }
  const missing = missingSecrets(plan, io.env);
  if (missing.length > 0) {
    io.err(`${opts.dryRun ? 'Applying would fail' : 'Nothing was applied'}: ${missing.join('; ')}.`);
    return 1;
  }
  if (opts.dryRun || !hasChanges(plan)) return 0;

  const secrets: NewSecret[] = [];
  try {
    await applyCatalog(client, plan, io);
    const ids = providerIdsByName(await client.listProviders());
    for (const step of planKeys(resolveProviderRefs(manifest.keys, ids), live.keys, opts)) {
      if (step.action === 'create') {
        const created = await client.createKey(step.body);
        secrets.push({ name: created.name, id: created.id, key: created.key });
        io.out(`created key ${step.name} (${created.id})`);
      } else if (step.action === 'update') {
        await client.updateKey(step.id, step.patch);
        io.out(`updated key ${step.name} (${step.id}): ${step.changes.map((c) => c.field).join(', ')}`);
      } else if (step.action === 'revoke') {
        await client.revokeKey(step.id);
        io.out(`revoked key ${step.name} (${step.id})`);
      }
    }
    io.out('Applied.');
    return 0;
  } finally {
    reportSecrets(secrets, opts.secretsOut, io);
  }
}

async function applyCatalog(client: AdminClient, plan: Plan, io: Io): Promise<void> {
  for (const step of plan.providers) {
    if (step.action === 'create') {
      const { apiKeyEnv, apiKey, ...entry } = step.entry;
      const created = await client.createProvider({
        ...entry,
        ...(apiKey || apiKeyEnv ? { apiKey: apiKey ?? io.env[apiKeyEnv!] } : {}),
      });
      io.out(`created provider ${step.name} (${created.id})`);
    } else if (step.action === 'update') {
      await client.updateProvider(step.id, step.patch);
      io.out(`updated provider ${step.name} (${step.id}): baseUrl`);
    }
  }
  const ids = providerIdsByName(await client.listProviders());
  for (const step of plan.models) {
    if (step.action !== 'create') continue;
    const { provider, ...entry } = step.entry;
    await client.createModel({ ...entry, providerId: ids.get(provider) ?? provider });
    io.out(`created model ${step.name}`);
  }
}

function missingSecrets(plan: Plan, env: NodeJS.ProcessEnv): string[] {
  return plan.providers.flatMap((s) =>
    s.action === 'create' && s.entry.apiKeyEnv && !env[s.entry.apiKeyEnv]
      ? [`provider ${s.name} needs the environment variable ${s.entry.apiKeyEnv}`]
      : [],
  );
}

function reportSecrets(secrets: NewSecret[], secretsOut: string | undefined, io: Io): void {
  if (secrets.length === 0) return;
  if (secretsOut) {
    writeSecretsFile(resolve(io.cwd, secretsOut), secrets);
    io.out(`The secrets of ${secrets.length} new key(s) are in ${secretsOut} (mode 0600); they are not shown again.`);
    return;
  }
  io.out('', 'New keys: their secrets are shown this once, store them now.');
  const width = Math.max(...secrets.map((s) => s.name.length));
  for (const s of secrets) io.out(`  ${s.name.padEnd(width)}  ${s.id}  ${s.key}`);
}
