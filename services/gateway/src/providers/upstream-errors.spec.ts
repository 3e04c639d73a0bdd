import { upstreamError } from './upstream-errors';

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

describe('upstreamError', () => {
  it('passes an OpenAI-shaped error through with its status, filling the missing fields with null', () => {
    expect(
      upstreamError(429, json({ error: { message: 'slow down', type: 'requests', code: 'rate_limit_exceeded' } })),
    ).toEqual({
      status: 429,
      message: 'slow down',
      type: 'requests',
      code: 'rate_limit_exceeded',
      param: null,
    });
    expect(upstreamError(500, json({ error: { message: 'oops' } }))).toMatchObject({
      status: 500,
      type: 'server_error',
      code: null,
    });
    expect(upstreamError(404, json({ error: 'model not found' }))).toMatchObject({
      status: 404,
      message: 'model not found',
    });
  });

  it('passes Azure’s content-filter refusal through as the OpenAI-shaped 400 it is, with Azure’s code', () => {
    const filtered = {
      error: {
        message: 'The response was filtered…',
        type: null,
        param: 'prompt',
        code: 'content_filter',
        status: 400,
        innererror: { code: 'ResponsibleAIPolicyViolation' },
      },
    };
    expect(upstreamError(400, json(filtered))).toEqual({
      status: 400,
      message: 'The response was filtered…',
      type: 'invalid_request_error',
      code: 'content_filter',
      param: 'prompt',
    });
  });

  it('never passes on a provider 401/403: its message can echo part of the provider key', () => {
    const e = upstreamError(
      401,
      json({
        error: {
          message: 'Incorrect API key provided: sk-real***abcd',
          type: 'invalid_request_error',
          code: 'invalid_api_key',
        },
      }),
    );
    expect(e).toMatchObject({ status: 502, code: 'upstream_auth_error' });
    expect(e.message).not.toContain('sk-real');
  });

  it('makes anything that is not an OpenAI error a 502', () => {
    expect(upstreamError(502, Buffer.from('<html>bad gateway</html>'))).toMatchObject({
      status: 502,
      code: 'upstream_error',
    });
    expect(upstreamError(302, Buffer.alloc(0))).toMatchObject({ status: 502, code: 'upstream_error' });
    expect(upstreamError(400, json({ detail: 'nope' }))).toMatchObject({ status: 502 });
  });
});
