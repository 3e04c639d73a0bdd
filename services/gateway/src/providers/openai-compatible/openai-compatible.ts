import { Agent } from 'undici';
import { guardedConnector, type BaseLookup, type UpstreamAllowList } from '@sluice/net-policy';
import type { ResolvedCredential } from '../../credentials/resolved-credential';
import type { UpstreamCall, UpstreamResponse } from '../upstream';
import { OPENAI_COMPATIBLE, upstreamBody } from './request-mapping';

/** An HTTP request to an upstream, fully built: only these headers are sent. */
export interface UpstreamRequest<Body extends string | Buffer = string> {
  origin: string;
  /** Path and query. */
  path: string;
  /** POST unless said otherwise (the Responses API reads and deletes stored responses). */
  method?: 'GET' | 'POST' | 'DELETE';
  headers: Record<string, string>;
  /** Serialised once, or (a passthrough) the bytes the client sent; sent with a POST only. */
  body: Body;
}

/** The headers every OpenAI-shaped upstream call carries, before the credential's own. */
export function baseHeaders(call: UpstreamCall): Record<string, string> {
  return {
    'content-type': 'application/json',
    accept: call.stream ? 'text/event-stream' : 'application/json',
    'user-agent': 'sluice-gateway/0.1',
    'x-request-id': call.requestId,
  };
}

export interface UpstreamTimeouts {
  /** Until the status line and headers arrive (a long non-streamed generation sends nothing before it ends). */
  headersTimeoutMs: number;
  /** The longest silence between two body chunks. */
  bodyTimeoutMs: number;
}

/**
 * HTTP to OpenAI and OpenAI-compatible servers through one undici Agent: a keep-alive pool per
 * origin. undici follows no redirect unless told to, so a 3xx stays a 3xx (and becomes a 502).
 * Only the headers built here are sent: never the client's auth headers nor its x-stainless-*.
 * Every connection passes the upstream policy (`SLUICE_UPSTREAM_ALLOW`) at connect time.
 */
export class OpenAiCompatibleProvider {
  private readonly agent: Agent;

  constructor(
    private readonly timeouts: UpstreamTimeouts,
    allow: UpstreamAllowList,
    lookup?: BaseLookup,
  ) {
    this.agent = new Agent({
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 600_000,
      connections: 256,
      pipelining: 1,
      connect: guardedConnector(allow, lookup),
    });
  }

  async open(call: UpstreamCall, credential: ResolvedCredential): Promise<UpstreamResponse> {
    const headers = baseHeaders(call);
    if (credential.authorization !== null) headers.authorization = credential.authorization;
    return this.send(
      {
        origin: credential.origin,
        path: credential.basePath + OPENAI_COMPATIBLE.paths[call.op],
        headers,
        body: upstreamBody(call),
      },
      call.signal,
    );
  }

  /**
   * One request through the guarded pool; other OpenAI-shaped dialects (Azure, Responses, Anthropic's passthrough)
   * build their own request and send it here.
   */
  async send(request: UpstreamRequest<string | Buffer>, signal?: AbortSignal): Promise<UpstreamResponse> {
    const res = await this.agent.request({
      origin: request.origin,
      path: request.path,
      method: request.method ?? 'POST',
      headers: request.headers,
      body: request.method === undefined || request.method === 'POST' ? request.body : undefined,
      headersTimeout: this.timeouts.headersTimeoutMs,
      bodyTimeout: this.timeouts.bodyTimeoutMs,
      signal,
    });
    const contentType = res.headers['content-type'];
    return {
      status: res.statusCode,
      contentType: typeof contentType === 'string' ? contentType : '',
      body: res.body,
      abort: () => res.body.destroy(),
    };
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}
