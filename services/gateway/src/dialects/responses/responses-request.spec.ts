import { parseResponsesRequest } from './responses-request';

const parse = (body: unknown) =>
  parseResponsesRequest(Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)));
const refusal = (body: unknown) => {
  const parsed = parse(body);
  if (parsed.ok) throw new Error('expected a refusal');
  return parsed.error;
};

describe('a Responses request, checked at the edge', () => {
  it('reads what the pipeline needs: the model, stream, store, the previous id, the output cap and the prompt estimate', () => {
    const parsed = parse({
      model: 'm',
      input: 'hi',
      stream: true,
      store: false,
      previous_response_id: 'resp_1',
      max_output_tokens: 500,
      instructions: 'Be terse.',
    });
    expect(parsed).toMatchObject({
      ok: true,
      request: {
        model: 'm',
        stream: true,
        store: false,
        previousId: 'resp_1',
        estimate: { maxOutputTokens: 500, choices: 1 },
      },
    });
    if (parsed.ok)
      expect(parsed.request.estimate.inputTokensBound).toBeGreaterThan(parsed.request.estimate.inputTokens);
    expect(parse({ model: 'm', input: [{ role: 'user', content: 'hi' }] })).toMatchObject({
      ok: true,
      request: { stream: false, store: true, previousId: null },
    });
  });

  it('refuses in OpenAI’s words what OpenAI refuses, naming the parameter', () => {
    expect(refusal('{"model":')).toMatchObject({
      status: 400,
      param: null,
      message: expect.stringContaining('could not parse the JSON body'),
    });
    expect(refusal({ input: 'hi' })).toMatchObject({ param: 'model' });
    expect(refusal({ model: 'm' })).toMatchObject({ param: 'input', code: 'missing_required_parameter' });
    expect(refusal({ model: 'm', input: 5 })).toMatchObject({ param: 'input', code: 'invalid_type' });
    expect(refusal({ model: 'm', input: ['x'] })).toMatchObject({ param: 'input[0]', code: 'invalid_type' });
    expect(refusal({ model: 'm', input: 'hi', stream: 'yes' })).toMatchObject({
      param: 'stream',
      code: 'invalid_type',
    });
    expect(refusal({ model: 'm', input: 'hi', max_output_tokens: 15 })).toMatchObject({
      param: 'max_output_tokens',
      code: 'integer_below_min_value',
    });
    expect(refusal({ model: 'm', input: 'hi', max_output_tokens: 1.5 })).toMatchObject({
      param: 'max_output_tokens',
      code: 'invalid_type',
    });
    expect(refusal({ model: 'm', input: 'hi', previous_response_id: '' })).toMatchObject({
      param: 'previous_response_id',
      code: 'empty_string',
    });
  });

  it('refuses what would reach upstream state Sluice cannot tie to the key, or bill when it ends', () => {
    expect(refusal({ model: 'm', input: 'hi', conversation: 'conv_123' })).toMatchObject({
      status: 400,
      param: 'conversation',
      code: 'unsupported_parameter',
    });
    expect(refusal({ model: 'm', input: [{ type: 'item_reference', id: 'msg_1' }] })).toMatchObject({
      param: 'input[0]',
      code: 'unsupported_parameter',
    });
    expect(refusal({ model: 'm', input: 'hi', background: true })).toMatchObject({
      param: 'background',
      code: 'unsupported_parameter',
    });
  });
});
