/**
 * Images in a prompt, counted once by the gateway (which reads the body) and priced in tokens by
 * policy (which knows the upstream model): the tally says how many images of each kind there are,
 * the model's rule says what each costs.
 */
export interface ImageTally {
  /** `detail: "low"`: a flat charge per image on tile models. */
  low: number;
  /** High or auto detail, size known (a data URL whose header was read). */
  sized: number;
  /** 512 px tiles of the sized images, after OpenAI's scaling (at most 8 each). */
  tiles: number;
  /** High or auto detail, size unknown (a URL, or a data URL whose header could not be read). */
  unsized: number;
}

export const noImages = (): ImageTally => ({ low: 0, sized: 0, tiles: 0, unsized: 0 });

/** Scaled to fit 2048 × 2048, then its short side to 768 px: at most 4 × 2 tiles. */
const MAX_TILES = 8;

/**
 * OpenAI's high-detail tiles for an image of this size: scaled to fit within 2048 × 2048, then so
 * its shortest side is 768 px, then counted in 512 px squares (OpenAI, "Images and vision",
 * calculating costs).
 */
export function tilesOf(width: number, height: number): number {
  let w = width;
  let h = height;
  if (Math.max(w, h) > 2048) {
    const s = 2048 / Math.max(w, h);
    w *= s;
    h *= s;
  }
  if (Math.min(w, h) > 768) {
    const s = 768 / Math.min(w, h);
    w *= s;
    h *= s;
  }
  return Math.min(MAX_TILES, Math.ceil(Math.floor(w) / 512) * Math.ceil(Math.floor(h) / 512));
}

type ImageRule = { tiles: { base: number; tile: number } } | { perImage: number };

const tiles = (base: number, tile: number): ImageRule => ({ tiles: { base, tile } });
/** Patch models: 32 px patches capped at 1,536, times the model's multiplier; the cap is the bound. */
const patches = (multiplier: number): ImageRule => ({ perImage: Math.ceil(1536 * multiplier) });

/**
 * Per-image token rules by upstream model, first match wins. OpenAI's numbers are from its vision
 * guide (tile models: a base per image plus a charge per 512 px tile; patch models: at most 1,536
 * patches times a multiplier); Anthropic's from its vision guide (width × height / 750, images
 * resized to at most ~1.15 megapixels: about 1,600 tokens).
 */
const RULES: [RegExp, ImageRule][] = [
  [/^gpt-4o-mini/, tiles(2833, 5667)],
  [/^(gpt-4\.1-mini|gpt-5-mini)/, patches(1.62)],
  [/^(gpt-4\.1-nano|gpt-5-nano)/, patches(2.46)],
  [/^o4-mini/, patches(1.72)],
  [/^gpt-5/, tiles(70, 140)],
  [/^(o1|o3)/, tiles(75, 150)],
  [/^computer-use/, tiles(65, 129)],
  [/^(gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5|gpt-4-turbo|gpt-4-vision)/, tiles(85, 170)],
  [/^claude/, { perImage: 1600 }],
];

/**
 * A model with no documented rule: Sluice's stated bound per image, above every rule in the table
 * except gpt-4o-mini's (whose image tokens are priced down to cost what gpt-4o's do).
 */
export const DEFAULT_IMAGE_TOKENS = 6000;

/** The tokens the images of a prompt cost on this upstream model: exact when sized, a bound otherwise. */
export function imageTokens(images: ImageTally | null | undefined, upstreamModel: string): number {
  if (!images) return 0;
  const count = images.low + images.sized + images.unsized;
  if (count === 0) return 0;
  const rule = RULES.find(([pattern]) => pattern.test(upstreamModel))?.[1] ?? { perImage: DEFAULT_IMAGE_TOKENS };
  if ('perImage' in rule) return count * rule.perImage;
  const { base, tile } = rule.tiles;
  return (images.low + images.sized) * base + images.tiles * tile + images.unsized * (base + MAX_TILES * tile);
}
