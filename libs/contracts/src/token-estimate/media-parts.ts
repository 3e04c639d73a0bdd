import { base64ImageSize, dataUrlImageSize } from './image-size';
import { noImages, tilesOf, type ImageTally } from './image-tokens';

/**
 * Audio parts: OpenAI bills 10 audio tokens a second; the leanest format it takes (mp3 at 8 kbit/s)
 * is 1,333 base64 characters a second, so one token per 100 characters is above it.
 */
const AUDIO_CHARS_PER_TOKEN = 100;
/**
 * File parts (PDFs): no size-based bound exists (a compressed text stream can hold far more text
 * than its bytes), so this is Sluice's stated bound: the base64 length, and at least 100,000 tokens.
 */
export const FILE_TOKENS = 100_000;

/** What media counts into (the Tally): tokens of audio and files, and the images. */
interface Media {
  media: number;
  images: ImageTally | null;
}

/**
 * An image, audio or file part of a chat message's or a Responses item's content: its own rule
 * applies. Returns its payload, which is not text.
 */
export function mediaPart(t: Media, part: Record<string, unknown>): string | null {
  if (part.type === 'image_url' || part.type === 'input_image') {
    // Chat: `image_url: {url, detail}`; Responses: `image_url: "<url>"` (or a `file_id`) beside `detail`.
    const image = part.image_url as { url?: unknown; detail?: unknown } | string | undefined;
    const url = typeof image === 'string' ? image : image?.url;
    const detail = typeof image === 'object' && image !== null ? image.detail : part.detail;
    if (detail === 'low') (t.images ??= noImages()).low++;
    else countImage(t, typeof url === 'string' ? dataUrlImageSize(url) : null);
    return typeof url === 'string' ? url : null;
  }
  if (part.type === 'input_audio') {
    const data = (part.input_audio as { data?: unknown } | undefined)?.data;
    t.media += Math.ceil((typeof data === 'string' ? data.length : 0) / AUDIO_CHARS_PER_TOKEN);
    return typeof data === 'string' ? data : null;
  }
  if (part.type === 'file' || part.type === 'input_file') {
    const data = part.type === 'file' ? (part.file as { file_data?: unknown } | undefined)?.file_data : part.file_data;
    t.media += Math.max(FILE_TOKENS, typeof data === 'string' ? data.length : 0);
    return typeof data === 'string' ? data : null;
  }
  return null;
}

/** An Anthropic image or document source: its own rule applies. Returns its payload, which is not text. */
export function anthropicSource(t: Media, type: 'image' | 'document', source: Record<string, unknown>): string | null {
  const data = source.type === 'base64' && typeof source.data === 'string' ? source.data : null;
  if (type === 'image') {
    countImage(t, data === null ? null : base64ImageSize(data));
    return data;
  }
  // A plain-text document is text, counted as such; a PDF (or a file or URL) by the file rule.
  if (source.type === 'text' || source.type === 'content') return null;
  t.media += Math.max(FILE_TOKENS, data?.length ?? 0);
  return data;
}

/** A high- or auto-detail image of this size; null: unknown, so it counts at its model's largest. */
function countImage(t: Media, size: { width: number; height: number } | null): void {
  const images = (t.images ??= noImages());
  if (size === null) images.unsized++;
  else {
    images.sized++;
    images.tiles += tilesOf(size.width, size.height);
  }
}
