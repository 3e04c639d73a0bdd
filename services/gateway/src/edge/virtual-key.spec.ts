import { generateVirtualKey } from '@sluice/contracts';
import { requestIdOf } from './request-id';
import { virtualKeyOf } from './virtual-key';

describe('virtualKeyOf', () => {
  const key = generateVirtualKey();
  const other = generateVirtualKey();

  it('reads the key from each accepted header', () => {
    expect(virtualKeyOf({ authorization: `Bearer ${key}` })).toEqual({ kind: 'found', key });
    expect(virtualKeyOf({ authorization: `bearer  ${key}` })).toEqual({ kind: 'found', key });
    for (const name of ['x-api-key', 'api-key', 'x-portkey-api-key', 'x-portkey-virtual-key']) {
      expect(virtualKeyOf({ [name]: key })).toEqual({ kind: 'found', key });
    }
  });

  it('takes them in order: Authorization, x-api-key, api-key, x-portkey-api-key, x-portkey-virtual-key', () => {
    expect(virtualKeyOf({ authorization: `Bearer ${key}`, 'x-api-key': other })).toEqual({ kind: 'found', key });
    expect(virtualKeyOf({ 'x-api-key': key, 'api-key': other })).toEqual({ kind: 'found', key });
    expect(virtualKeyOf({ 'api-key': key, 'x-portkey-api-key': other })).toEqual({ kind: 'found', key });
    expect(virtualKeyOf({ 'x-portkey-api-key': key, 'x-portkey-virtual-key': other })).toEqual({ kind: 'found', key });
  });

  it('skips a placeholder in an earlier header when a later one holds a well-formed key (Portkey SDK)', () => {
    expect(virtualKeyOf({ authorization: 'Bearer DUMMY-KEY', 'x-portkey-virtual-key': key })).toEqual({
      kind: 'found',
      key,
    });
  });

  it('says missing when no header is there, malformed when none is well-formed', () => {
    expect(virtualKeyOf({})).toEqual({ kind: 'missing' });
    expect(virtualKeyOf({ authorization: '' })).toEqual({ kind: 'missing' });
    const typo = key.slice(0, 20) + (key[20] === 'a' ? 'b' : 'a') + key.slice(21);
    for (const bad of [
      typo,
      key.slice(0, -1),
      key.replace('sk-sluice-', 'sk-proj-ab'),
      key + 'x'.repeat(100_000),
      `${key}' OR 1=1 --`,
    ]) {
      expect(virtualKeyOf({ authorization: `Bearer ${bad}` })).toEqual({ kind: 'malformed' });
      expect(virtualKeyOf({ 'x-api-key': bad })).toEqual({ kind: 'malformed' });
    }
    expect(virtualKeyOf({ 'x-api-key': [key, key] as unknown as string })).toEqual({ kind: 'malformed' });
  });
});

describe('requestIdOf', () => {
  const newId = () => 'generated';

  it('echoes a safe incoming x-request-id or x-portkey-trace-id', () => {
    expect(requestIdOf({ 'x-request-id': 'abc-123:x_y.z' }, newId)).toBe('abc-123:x_y.z');
    expect(requestIdOf({ 'x-portkey-trace-id': 'trace-1' }, newId)).toBe('trace-1');
    expect(requestIdOf({ 'x-request-id': 'req-1', 'x-portkey-trace-id': 'trace-1' }, newId)).toBe('req-1');
  });

  it('generates one when the incoming id is absent, too long or carries unsafe characters', () => {
    expect(requestIdOf({}, newId)).toBe('generated');
    expect(requestIdOf({ 'x-request-id': 'a'.repeat(129) }, newId)).toBe('generated');
    expect(requestIdOf({ 'x-request-id': 'bad id\n' }, newId)).toBe('generated');
    expect(requestIdOf({ 'x-request-id': '<script>' }, newId)).toBe('generated');
  });
});
