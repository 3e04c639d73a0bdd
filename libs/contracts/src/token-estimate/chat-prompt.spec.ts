import { pngDataUrl, user } from '../../test/prompt-bodies';
import { DEFAULT_IMAGE_TOKENS, imageTokens } from './image-tokens';
import { promptTokens } from './prompt-tokens';
import { FILE_TOKENS } from './media-parts';
import { TOOL_PREAMBLE_TOKENS } from './tally';

const chat = (body: Record<string, unknown>) => promptTokens('chat', { model: 'm', ...body });

/** A tool definition whose JSON is about `bytes` long. */
const tool = (name: string, bytes: number) => ({
  type: 'function',
  function: {
    name,
    description: 'd'.repeat(bytes),
    parameters: { type: 'object', properties: { city: { type: 'string', enum: ['a', 'b'] } } },
  },
});

describe('the prompt a call is billed for', () => {
  it('counts tool and function definitions, response formats and forced tool choices: in the estimate and in the bound', () => {
    // Given the same messages with and without 20 KB of tool definitions and a JSON schema
    const messages = [user('What is the weather?')];
    const plain = chat({ messages });
    const withTools = chat({
      messages,
      tools: [tool('weather', 10_000), tool('forecast', 10_000)],
      tool_choice: { type: 'function', function: { name: 'weather' } },
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'w', schema: { type: 'object', properties: { temp: { type: 'number' } } } },
      },
    });
    // then both numbers grow by at least what those definitions hold
    expect(withTools.estimate - plain.estimate).toBeGreaterThanOrEqual(20_000 / 4);
    expect(withTools.bound - plain.bound).toBeGreaterThanOrEqual(20_000 + TOOL_PREAMBLE_TOKENS);
    const legacy = chat({ messages, functions: [tool('weather', 10_000).function] });
    expect(legacy.bound - plain.bound).toBeGreaterThanOrEqual(10_000 + TOOL_PREAMBLE_TOKENS);
  });

  it('counts tool calls and tool results in the conversation', () => {
    const call = {
      role: 'assistant',
      content: null,
      tool_calls: [
        {
          id: 'c1',
          type: 'function',
          function: { name: 'weather', arguments: JSON.stringify({ city: 'x'.repeat(4000) }) },
        },
      ],
    };
    const result = { role: 'tool', tool_call_id: 'c1', content: 'y'.repeat(4000) };
    const base = chat({ messages: [user('hi')] });
    const both = chat({ messages: [user('hi'), call, result] });
    expect(both.estimate - base.estimate).toBeGreaterThanOrEqual(2000);
    expect(both.bound - base.bound).toBeGreaterThanOrEqual(8000);
  });

  it('bounds adversarial text at one token per UTF-8 byte, where the estimate is four characters a token', () => {
    // Given text a tokenizer splits near one token per byte (rare CJK characters, 3 bytes each)
    const text = Array.from({ length: 3000 }, (_, i) => String.fromCodePoint(0x4e00 + ((i * 7919) % 20000))).join('');
    const p = chat({ messages: [user(text)] });
    // then the estimate is low, and the bound covers every byte
    expect(p.estimate).toBeLessThan(1000);
    expect(p.bound).toBeGreaterThanOrEqual(Buffer.byteLength(text));
  });

  it('counts an image as an image, not as the bytes of its data URL', () => {
    // Given a 1024 × 1024 PNG sent inline with a megabyte of payload, and one behind a URL
    const inline = pngDataUrl(1024, 1024, 1_000_000);
    const p = chat({
      messages: [
        user([
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: inline } },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
          { type: 'image_url', image_url: { url: inline, detail: 'low' } },
        ]),
      ],
    });
    // then the payload is not billed as text, and the images are tallied by kind
    expect(p.bound).toBeLessThan(1000);
    expect(p.images).toEqual({ low: 1, sized: 1, tiles: 4, unsized: 1 });
    // and priced by the model's rule: gpt-4o 85 + 170 per tile; unsized at 8 tiles
    expect(imageTokens(p.images, 'gpt-4o')).toBe(85 + (85 + 4 * 170) + (85 + 8 * 170));
    expect(imageTokens(p.images, 'claude-sonnet-4')).toBe(3 * 1600);
    expect(imageTokens(p.images, 'some-local-vlm')).toBe(3 * DEFAULT_IMAGE_TOKENS);
  });

  it('does not let a part that only claims to be an image hide text beside its payload', () => {
    const hidden = 'z'.repeat(50_000);
    const p = chat({
      messages: [user([{ type: 'image_url', image_url: { url: 'https://example.com/a.png' }, text: hidden }])],
    });
    expect(p.bound).toBeGreaterThanOrEqual(50_000);
    // nor does a tool schema whose objects say they are images
    const inTools = chat({
      messages: [user('hi')],
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'image_url', description: hidden } } }],
    });
    expect(inTools.bound).toBeGreaterThanOrEqual(50_000);
    expect(inTools.images).toBeNull();
  });

  it('bounds audio by its length and files at a stated size', () => {
    const audio = chat({
      messages: [user([{ type: 'input_audio', input_audio: { data: 'A'.repeat(40_000), format: 'mp3' } }])],
    });
    expect(audio.bound).toBeGreaterThanOrEqual(400);
    expect(audio.bound).toBeLessThan(1000);
    const file = chat({ messages: [user([{ type: 'file', file: { file_id: 'file-abc' } }])] });
    expect(file.bound).toBeGreaterThanOrEqual(FILE_TOKENS);
  });
});
