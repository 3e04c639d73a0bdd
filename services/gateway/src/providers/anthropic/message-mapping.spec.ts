import { toolUses } from './message-mapping';

describe('tool calls sent on to Anthropic', () => {
  it('refuses arguments nested more than 128 levels deep, which the request to Anthropic could not be written with', () => {
    const call = (args: string) => [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: args } }];
    expect(toolUses(call('{"a":[1]}'), 'messages[1]')).toEqual([
      { type: 'tool_use', id: 'call_1', name: 'f', input: { a: [1] } },
    ]);
    const deep = toolUses(call(`${'['.repeat(100_000)}${']'.repeat(100_000)}`), 'messages[1]');
    // Not the mapped blocks themselves: printing 100,000 levels would overflow the test's own stack.
    expect(Array.isArray(deep) ? 'mapped' : deep).toEqual({
      error: {
        status: 400,
        type: 'invalid_request_error',
        code: 'json_too_deep',
        param: 'messages[1].tool_calls[0].function.arguments',
        message: expect.stringContaining('128 levels'),
      },
    });
  });
});
