/**
 * The console's only way out: the documented admin API on the same origin. The token travels in
 * the Authorization header, never in a URL.
 */
export interface ApiErrorBody {
  code: string;
  message: string;
  param?: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly param?: string,
  ) {
    super(message);
  }
}

export interface ApiResult<T> {
  data: T;
  status: number;
  /** 202 with `x-sluice-change-status: pending`: saved, and taking effect once policy has it. */
  pending: boolean;
  headers: Headers;
}

export type Query = Record<string, string | number | undefined | null>;

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query))
    if (value !== undefined && value !== null && value !== '') params.set(name, String(value));
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

export class Api {
  constructor(
    private readonly token: string,
    private readonly onUnauthorized: () => void = () => {},
    private readonly base = '/admin/v1',
  ) {}

  /** The raw response, for streamed downloads. */
  async raw(path: string, init: RequestInit = {}): Promise<Response> {
    const res = await fetch(`${this.base}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(init.headers as Record<string, string>),
      },
      cache: 'no-store',
      credentials: 'omit',
    });
    if (!res.ok) throw await errorOf(res, this.onUnauthorized);
    return res;
  }

  async call<T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiResult<T>> {
    const res = await this.raw(path, { method, body: body === undefined ? undefined : JSON.stringify(body), headers });
    const text = await res.text();
    const pending = res.status === 202 || res.headers.get('x-sluice-change-status') === 'pending';
    return { data: (text ? JSON.parse(text) : null) as T, status: res.status, pending, headers: res.headers };
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.call<T>('GET', withQuery(path, query)).then((r) => r.data);
  }
}

async function errorOf(res: Response, onUnauthorized: () => void): Promise<ApiError> {
  let body: { error?: ApiErrorBody } | null = null;
  try {
    body = (await res.json()) as { error?: ApiErrorBody };
  } catch {
    // not JSON: a proxy's page, or nothing
  }
  if (res.status === 401) onUnauthorized();
  const e = body?.error;
  return new ApiError(
    res.status,
    e?.code ?? `HTTP_${res.status}`,
    e?.message ?? `${res.status} ${res.statusText}`,
    e?.param,
  );
}
