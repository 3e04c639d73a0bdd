import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { CreateKeyBody, CreateModelBody, CreateProviderBody, PROVIDER_TYPES } from '@sluice/contracts';

/**
 * The declarative file: keys (exactly the fields of `POST /keys`), and optionally the provider
 * credentials and catalog models they use. Names are the identities; ids never appear.
 */
const ProviderEntry = z
  .strictObject({
    name: z.string().trim().min(1).max(128),
    type: z.enum(PROVIDER_TYPES as [string, ...string[]]),
    baseUrl: z.url({ protocol: /^https?$/ }).optional(),
    /** The secret itself; prefer apiKeyEnv so it stays out of version control. */
    apiKey: z.string().min(1).optional(),
    /** The name of an environment variable holding the secret, read when the provider is created. */
    apiKeyEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
      .optional(),
  })
  .refine((p) => !(p.apiKey && p.apiKeyEnv), { message: 'give apiKey or apiKeyEnv, not both', path: ['apiKeyEnv'] })
  .refine((p) => p.type === 'mock' || p.apiKey !== undefined || p.apiKeyEnv !== undefined, {
    message: 'apiKey or apiKeyEnv is required',
    path: ['apiKeyEnv'],
  });

const ModelEntry = CreateModelBody.omit({ providerId: true }).extend({ provider: z.string().min(1) });

export const Manifest = z.strictObject({
  apiVersion: z.literal('sluice/v1').optional(),
  providers: z.array(ProviderEntry).default([]),
  models: z.array(ModelEntry).default([]),
  keys: z.array(CreateKeyBody).default([]),
});
export type Manifest = z.infer<typeof Manifest>;
export type DesiredKey = CreateKeyBody;
export type DesiredProvider = z.infer<typeof ProviderEntry>;
export type DesiredModel = z.infer<typeof ModelEntry>;

/** Every problem found in a file, each with its path in the file and, where known, its line. */
export class ManifestError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file} is not valid:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

export function parseManifest(text: string, file: string): Manifest {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ManifestError(
      file,
      doc.errors.map((e) => {
        const at = lineCounter.linePos(e.pos[0]);
        return `${file}:${at.line}:${at.col}: ${e.message.split('\n')[0]}`;
      }),
    );
  }
  const result = Manifest.safeParse(doc.toJS() ?? {});
  if (!result.success) {
    throw new ManifestError(
      file,
      result.error.issues.map((issue) => {
        const node = doc.getIn(issue.path as (string | number)[], true) as
          | { range?: [number, number, number] }
          | undefined;
        const at = node?.range ? lineCounter.linePos(node.range[0]) : undefined;
        return `${at ? `${file}:${at.line}:${at.col}: ` : ''}${formatPath(issue.path)}: ${issue.message}`;
      }),
    );
  }
  const names = duplicates(result.data);
  if (names.length > 0)
    throw new ManifestError(
      file,
      names.map((n) => `${n} appears more than once`),
    );
  // CreateProviderBody's own rules (baseUrl required for openai-compatible, …) apply here too.
  const providerProblems = result.data.providers.flatMap((p, i) => {
    const check = CreateProviderBody.safeParse({
      name: p.name,
      type: p.type,
      baseUrl: p.baseUrl,
      apiKey: p.type === 'mock' ? p.apiKey : 'x',
    });
    return check.success
      ? []
      : check.error.issues.map((issue) => `${formatPath(['providers', i, ...issue.path])}: ${issue.message}`);
  });
  if (providerProblems.length > 0) throw new ManifestError(file, providerProblems);
  return result.data;
}

/** `keys[2].operations[0]`, the way a reader looks for it in the file. */
export function formatPath(path: readonly PropertyKey[]): string {
  return (
    path.reduce<string>(
      (out, part) => (typeof part === 'number' ? `${out}[${part}]` : out ? `${out}.${String(part)}` : String(part)),
      '',
    ) || '(file)'
  );
}

function duplicates(m: Manifest): string[] {
  const found: string[] = [];
  for (const [kind, entries] of [
    ['keys', m.keys],
    ['providers', m.providers],
    ['models', m.models],
  ] as const) {
    const seen = new Set<string>();
    for (const entry of entries) {
      if (seen.has(entry.name)) found.push(`${kind}: the name "${entry.name}"`);
      seen.add(entry.name);
    }
  }
  return found;
}
