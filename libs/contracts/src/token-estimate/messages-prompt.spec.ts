import { pngDataUrl, user } from '../../test/prompt-bodies';
import { imageTokens } from './image-tokens';
import { promptTokens } from './prompt-tokens';
import { FILE_TOKENS } from './media-parts';
import { TOOL_PREAMBLE_TOKENS } from './tally';

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
