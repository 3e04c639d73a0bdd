import { pngDataUrl } from '../../test/prompt-bodies';
import { promptTokens } from './prompt-tokens';
import { responsesPromptTokens } from './responses-prompt';
import { FILE_TOKENS } from './media-parts';
import { TOOL_PREAMBLE_TOKENS } from './tally';

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
