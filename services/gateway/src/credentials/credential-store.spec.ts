import { CredentialStore } from './credential-store';

describe('CredentialStore', () => {
  it('resolves origin, base path and Authorization once, defaulting to OpenAI', () => {
    const store = new CredentialStore();
    expect(store.loaded).toBe(false);
    const unusable = store.replaceAll([
      { providerId: 'p1', type: 'openai', baseUrl: null, apiKey: 'sk-real', secretVersion: 1 },
      {
        providerId: 'p2',
        type: 'openai-compatible',
        baseUrl: 'http://127.0.0.1:9999/v1/',
        apiKey: null,
        secretVersion: 3,
      },
      { providerId: 'p3', type: 'openai-compatible', baseUrl: 'file:///etc/passwd', apiKey: 'x', secretVersion: 1 },
    ]);
    expect(store.loaded).toBe(true);
    expect(unusable).toEqual(['p3']);
    expect(store.get('p1')).toMatchObject({
      origin: 'https://api.openai.com',
      basePath: '/v1',
      authorization: 'Bearer sk-real',
    });
    expect(store.get('p2')).toMatchObject({
      origin: 'http://127.0.0.1:9999',
      basePath: '/v1',
      authorization: null,
      secretVersion: 3,
    });
    expect(store.get('p3')).toBeUndefined();
  });

  it('replaces the whole set, so a removed provider is gone', () => {
    const store = new CredentialStore();
    store.replaceAll([{ providerId: 'p1', type: 'openai', baseUrl: null, apiKey: 'a', secretVersion: 1 }]);
    store.replaceAll([{ providerId: 'p2', type: 'openai', baseUrl: null, apiKey: 'b', secretVersion: 1 }]);
    expect(store.get('p1')).toBeUndefined();
    expect(store.get('p2')?.authorization).toBe('Bearer b');
  });
});
