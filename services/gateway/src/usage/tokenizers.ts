type Encoding = { countTokens(text: string): number };
type EncodingName = 'o200k_base' | 'cl100k_base';

/** Upstream model names and the tokenizer OpenAI bills them with; first match wins. */
const FAMILIES: [RegExp, EncodingName][] = [
  [/^(gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o\d|codex|gpt-oss|computer-use)/, 'o200k_base'],
  [/^(gpt-4|gpt-3\.5|text-embedding-3|text-embedding-ada-002)/, 'cl100k_base'],
];

const loaded = new Map<EncodingName, Encoding>();

function encoding(name: EncodingName): Encoding {
  let found = loaded.get(name);
  // Loaded on first use, not at start: ~0.4 s and ~70 MB each, paid only by a gateway whose
  // upstream leaves usage out (gpt-tokenizer, pure JS, bundled ranks: nothing is downloaded).
  if (!found) loaded.set(name, (found = require(`gpt-tokenizer/cjs/encoding/${name}`) as Encoding));
  return found;
}

/**
 * The family's tokenizer, else OpenAI's current one (o200k) as an estimate for a model Sluice knows no tokenizer for;
 * with its name.
 */
export function estimatingTokenizer(upstreamModel: string): { name: EncodingName; count: (text: string) => number } {
  const name = FAMILIES.find(([pattern]) => pattern.test(upstreamModel))?.[1] ?? 'o200k_base';
  const enc = encoding(name);
  return { name, count: (text) => enc.countTokens(text) };
}

/** A token counter for the upstream model's family, or null when Sluice knows no tokenizer for it. */
export function tokenCounterFor(upstreamModel: string): ((text: string) => number) | null {
  const name = FAMILIES.find(([pattern]) => pattern.test(upstreamModel))?.[1];
  if (!name) return null;
  const enc = encoding(name);
  return (text) => enc.countTokens(text);
}

/** Models that bill hidden reasoning tokens: the visible text says nothing about them. */
export const isReasoningModel = (upstreamModel: string): boolean => /^(o\d|gpt-5|gpt-oss)|reason/i.test(upstreamModel);
