import { withModel } from './model-bytes';

const rewritten = (body: string, model = 'claude-up') => withModel(Buffer.from(body), model)?.toString('utf8');

describe('the model of a passed-through body, rewritten on its bytes', () => {
  it('changes only the top-level model value; every other byte stays as the client sent it', () => {
    const body =
      '{"model":"claude-haiku-4-5-20251001","messages":[{"role":"assistant","content":[{"type":"thinking","thinking":"x","signature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3h\\/+==" }]}] ,"max_tokens":32000}';
    expect(rewritten(body)).toBe(body.replace('claude-haiku-4-5-20251001', 'claude-up'));
    // formatting, key order and escapes survive; JSON.stringify would have rewritten them
    const spaced =
      '{ "max_tokens" : 5,\n  "model" : "a\\u0062c" , "metadata":{"user_id":"{\\"session_id\\":\\"s\\"}"}}';
    expect(rewritten(spaced)).toBe(
      '{ "max_tokens" : 5,\n  "model" : "claude-up" , "metadata":{"user_id":"{\\"session_id\\":\\"s\\"}"}}',
    );
  });

  it('leaves a nested "model" (inside a tool input or a system prompt) alone', () => {
    const body =
      '{"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":"{\\"model\\":\\"x\\"}"}]},{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"f","input":{"model":"gpt"}}]}],"model":"m","system":"the model is"}';
    const out = JSON.parse(rewritten(body)!);
    expect(out.model).toBe('claude-up');
    expect(out.messages[1].content[0].input.model).toBe('gpt');
    expect(rewritten(body)).toBe(body.replace('"model":"m"', '"model":"claude-up"'));
  });

  it('rewrites every top-level model member, an escaped name too: the upstream runs only what policy authorized', () => {
    const dup = '{"model":"claude-opus","max_tokens":1,"mod\\u0065l":"claude-haiku","messages":[]}';
    expect(rewritten(dup)).toBe('{"model":"claude-up","max_tokens":1,"mod\\u0065l":"claude-up","messages":[]}');
    expect(rewritten('{"model":"a","model":"b"}')).toBe('{"model":"claude-up","model":"claude-up"}');
  });

  it('writes the new model as a JSON string, whatever it holds', () => {
    expect(JSON.parse(rewritten('{"model":"a"}', 'we"ird\\')!).model).toBe('we"ird\\');
  });

  it('gives null for a body that is not an object with a model', () => {
    expect(withModel(Buffer.from('[1]'), 'x')).toBeNull();
    expect(withModel(Buffer.from('{"messages":[]}'), 'x')).toBeNull();
  });
});
