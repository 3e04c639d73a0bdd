import { DEFAULT_IMAGE_TOKENS, imageTokens, tilesOf } from './image-tokens';
import { dataUrlImageSize } from './image-size';
import { FILE_TOKENS, promptTokens, responsesPromptTokens, TOOL_PREAMBLE_TOKENS } from './token-estimate';

const user = (content: unknown) => ({ role: 'user', content });
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

/** A PNG header (signature, IHDR) of the given size, as a base64 data URL padded to `extra` bytes. */
function pngDataUrl(width: number, height: number, extra = 0): string {
  const header = Buffer.alloc(33 + extra);
  header.writeUInt32BE(0x89504e47, 0);
  header.writeUInt32BE(0x0d0a1a0a, 4);
  header.writeUInt32BE(13, 8);
  header.write('IHDR', 12, 'latin1');
  header.writeUInt32BE(width, 16);
  header.writeUInt32BE(height, 20);
  return `data:image/png;base64,${header.toString('base64')}`;
}

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

  it('bounds the completions prompt and embeddings input by bytes, token arrays by their length', () => {
    expect(promptTokens('completions', { prompt: 'é'.repeat(100), suffix: 'abcd' }).bound).toBeGreaterThanOrEqual(204);
    expect(
      promptTokens('embeddings', {
        input: [
          [1, 2, 3],
          [4, 5],
        ],
      }).bound,
    ).toBe(5);
    expect(promptTokens('embeddings', { input: ['abcd', 'efgh'] })).toMatchObject({ estimate: 2, images: null });
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

describe('the prompt of an Anthropic Messages call', () => {
  const messages = (body: Record<string, unknown>) =>
    promptTokens('messages', { model: 'claude', max_tokens: 1024, ...body });
  const png = (width: number, height: number, extra = 0) => pngDataUrl(width, height, extra).split(',')[1];
  const hello = [user('Hello')];

  it('counts the system prompt (a string or text blocks), tool definitions and a forced tool choice: in the estimate and in the bound', () => {
    const plain = messages({ messages: hello });
    const system = messages({
      messages: hello,
      system: [{ type: 'text', text: 's'.repeat(8000), cache_control: { type: 'ephemeral' } }],
    });
    expect(system.estimate - plain.estimate).toBeGreaterThanOrEqual(2000);
    expect(system.bound - plain.bound).toBeGreaterThanOrEqual(8000);
    expect(messages({ messages: hello, system: 's'.repeat(8000) }).bound - plain.bound).toBeGreaterThanOrEqual(8000);
    const tools = [{ name: 'weather', description: 'd'.repeat(10_000), input_schema: { type: 'object' } }];
    const withTools = messages({ messages: hello, tools, tool_choice: { type: 'tool', name: 'weather' } });
    expect(withTools.estimate - plain.estimate).toBeGreaterThanOrEqual(10_000 / 4);
    expect(withTools.bound - plain.bound).toBeGreaterThanOrEqual(10_000 + TOOL_PREAMBLE_TOKENS);
    // Claude Code sends `tools: []` in bare mode: no tool preamble for an empty list
    expect(messages({ messages: hello, tools: [] }).bound - plain.bound).toBeLessThan(20);
  });

  it('counts tool uses, tool results, thinking and its signature in the conversation, and system-role turns', () => {
    const base = messages({ messages: hello });
    const turns = messages({
      messages: [
        user('Hello'),
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 't'.repeat(2000), signature: 'S'.repeat(3000) },
            { type: 'tool_use', id: 'toolu_1', name: 'run', input: { cmd: 'x'.repeat(4000) } },
          ],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'y'.repeat(4000) }] },
        { role: 'system', content: 'z'.repeat(1000) },
      ],
    });
    expect(turns.estimate - base.estimate).toBeGreaterThanOrEqual((2000 + 3000 + 4000 + 4000 + 1000) / 4);
    expect(turns.bound - base.bound).toBeGreaterThanOrEqual(2000 + 3000 + 4000 + 4000 + 1000);
  });

  it('tallies images (in messages and inside tool results) by size, not by their base64, and bounds text at a token a byte', () => {
    const image = (data: string) => ({ type: 'image', source: { type: 'base64', media_type: 'image/png', data } });
    const p = messages({
      messages: [
        user([image(png(1024, 1024, 300_000)), { type: 'text', text: 'What is this?' }]),
        { role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'shot', input: {} }] },
        user([
          {
            type: 'tool_result',
            tool_use_id: 't',
            content: [
              image(png(512, 512)),
              { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } },
            ],
          },
        ]),
      ],
    });
    expect(p.images).toEqual({ low: 0, sized: 2, tiles: 4 + 1, unsized: 1 });
    expect(p.bound).toBeLessThan(2000);
    expect(imageTokens(p.images, 'claude-sonnet-4-5')).toBe(3 * 1600);
    const cjk = Array.from({ length: 3000 }, (_, i) => String.fromCodePoint(0x4e00 + ((i * 7919) % 20000))).join('');
    expect(messages({ messages: [user([{ type: 'text', text: cjk }])] }).bound).toBeGreaterThanOrEqual(
      Buffer.byteLength(cjk),
    );
  });

  it('counts a PDF document at the stated file bound, and a plain-text document as its text', () => {
    const pdf = messages({
      messages: [
        user([{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'J'.repeat(1000) } }]),
      ],
    });
    expect(pdf.bound).toBeGreaterThanOrEqual(FILE_TOKENS);
    const text = messages({
      messages: [
        user([{ type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'w'.repeat(30_000) } }]),
      ],
    });
    expect(text.bound).toBeGreaterThanOrEqual(30_000);
    expect(text.bound).toBeLessThan(FILE_TOKENS);
  });

  it('does not let a block that only claims to be an image hide text beside its payload', () => {
    const hidden = 'h'.repeat(50_000);
    const p = messages({
      messages: [user([{ type: 'image', source: { type: 'url', url: 'https://example.com/a.png', note: hidden } }])],
    });
    expect(p.bound).toBeGreaterThanOrEqual(50_000);
  });
});

describe('the prompt a Responses call is billed for', () => {
  const responses = (body: Record<string, unknown>) => promptTokens('responses', { model: 'm', ...body });

  it('counts instructions, every input item type and the tool definitions', () => {
    const plain = responses({ input: 'What is the weather?' });
    const full = responses({
      instructions: 'i'.repeat(4000),
      input: [
        { role: 'user', content: [{ type: 'input_text', text: 'What is the weather?' }] },
        {
          type: 'function_call',
          call_id: 'c1',
          name: 'weather',
          arguments: JSON.stringify({ city: 'x'.repeat(4000) }),
        },
        { type: 'function_call_output', call_id: 'c1', output: 'y'.repeat(4000) },
        { type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: 'e'.repeat(4000) },
      ],
      tools: [{ type: 'function', name: 'weather', description: 'd'.repeat(10_000), parameters: { type: 'object' } }],
      text: { format: { type: 'json_schema', name: 'w', schema: { description: 's'.repeat(4000) } } },
    });
    expect(full.estimate - plain.estimate).toBeGreaterThanOrEqual(30_000 / 4);
    expect(full.bound - plain.bound).toBeGreaterThanOrEqual(30_000 + TOOL_PREAMBLE_TOKENS);
  });

  it('counts the stored conversation a previous_response_id continues', () => {
    const turn = responses({ input: 'and tomorrow?' });
    const earlier = [
      { role: 'user', content: 'What is the weather?' },
      {
        type: 'message',
        role: 'assistant',
        content: [{ type: 'output_text', text: 'z'.repeat(8000), annotations: [] }],
      },
    ];
    const continued = responsesPromptTokens({ model: 'm', input: 'and tomorrow?' }, earlier);
    expect(continued.estimate - turn.estimate).toBeGreaterThanOrEqual(2000);
    expect(continued.bound - turn.bound).toBeGreaterThanOrEqual(8000);
  });

  it('tallies input images and bounds input files, without billing their payload as text', () => {
    const p = responses({
      input: [
        {
          role: 'user',
          content: [
            { type: 'input_image', image_url: pngDataUrl(512, 512, 500_000), detail: 'high' },
            { type: 'input_image', image_url: 'https://example.com/a.png', detail: 'low' },
            { type: 'input_file', file_data: 'data:application/pdf;base64,AAAA' },
          ],
        },
      ],
    });
    expect(p.images).toEqual({ low: 1, sized: 1, tiles: 1, unsized: 0 });
    expect(p.bound).toBeGreaterThanOrEqual(FILE_TOKENS);
    expect(p.bound).toBeLessThan(FILE_TOKENS + 1000);
  });
});

describe('image sizes and tiles', () => {
  it('reads PNG, GIF and JPEG headers from a data URL, and nothing from a URL', () => {
    expect(dataUrlImageSize(pngDataUrl(640, 480))).toEqual({ width: 640, height: 480 });
    const gif = Buffer.from('GIF89a\x20\x03\x58\x02\x00\x00', 'latin1');
    expect(dataUrlImageSize(`data:image/gif;base64,${gif.toString('base64')}`)).toEqual({ width: 800, height: 600 });
    // SOI, an APP0 segment of 16 bytes, then SOF0 with height 300, width 400
    const jpeg = Buffer.concat([
      Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]),
      Buffer.alloc(14),
      Buffer.from([0xff, 0xc0, 0x00, 0x11, 0x08, 0x01, 0x2c, 0x01, 0x90, 0x03]),
    ]);
    expect(dataUrlImageSize(`data:image/jpeg;base64,${jpeg.toString('base64')}`)).toEqual({ width: 400, height: 300 });
    expect(dataUrlImageSize('https://example.com/a.png')).toBeNull();
    expect(dataUrlImageSize('data:image/png;base64,bm90IGFuIGltYWdl')).toBeNull();
  });

  it('counts tiles as OpenAI does: fit in 2048, shortest side to 768, 512 px squares', () => {
    expect(tilesOf(1024, 1024)).toBe(4); // → 768 × 768
    expect(tilesOf(2048, 4096)).toBe(6); // → 1024 × 2048 → 768 × 1536
    expect(tilesOf(512, 512)).toBe(1);
    expect(tilesOf(100_000, 800)).toBe(4); // → 2048 × 16
  });
});
