import type { KeyView, ModelView, ProviderView } from '@sluice/contracts';

/** An error answered by the admin API, with its stable code (`KEY.NAME_TAKEN`, `FORBIDDEN`, …). */
export class AdminApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type Fetch = typeof fetch;

/** The few admin API calls the CLI makes; every change goes through the API, never the database. */
export class AdminClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
    private readonly fetchFn: Fetch = fetch,
  ) {}

  async listKeys(): Promise<KeyView[]> {
    const keys: KeyView[] = [];
    let cursor: string | null = null;
    do {
      const page: { data: KeyView[]; nextCursor: string | null } = await this.call(
        'GET',
        `/keys?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      keys.push(...page.data);
      cursor = page.nextCursor;
    } while (cursor);
    return keys;
  }

  listProviders = async (): Promise<ProviderView[]> =>
    (await this.call<{ data: ProviderView[] }>('GET', '/providers')).data;
  listModels = async (): Promise<ModelView[]> => (await this.call<{ data: ModelView[] }>('GET', '/models')).data;
  createKey = (body: unknown) => this.call<KeyView & { key: string }>('POST', '/keys', body);
  updateKey = (id: string, body: unknown) => this.call<KeyView>('PATCH', `/keys/${encodeURIComponent(id)}`, body);
  revokeKey = (id: string) => this.call<KeyView>('DELETE', `/keys/${encodeURIComponent(id)}`);
  createProvider = (body: unknown) => this.call<ProviderView>('POST', '/providers', body);
  updateProvider = (id: string, body: unknown) =>
    this.call<ProviderView>('PATCH', `/providers/${encodeURIComponent(id)}`, body);
  createModel = (body: unknown) => this.call<ModelView>('POST', '/models', body);

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await this.fetchFn(`${this.baseUrl}/admin/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new AdminApiError(
        0,
        'UNREACHABLE',
        `cannot reach the admin API at ${this.baseUrl}: ${(err as Error).message}`,
      );
    }
    const text = await res.text();
    const json = text ? safeJson(text) : null;
    if (!res.ok) {
      const error = (json as { error?: { code?: string; message?: string; param?: string } } | null)?.error;
      const where = error?.param ? ` (${error.param})` : '';
      throw new AdminApiError(
        res.status,
        error?.code ?? `HTTP_${res.status}`,
        `${method} ${path}: ${res.status} ${error?.code ?? ''} ${error?.message ?? text}${where}`.trim(),
      );
    }
    return json as T;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
