import type { AdminRole } from '@sluice/contracts';
import { decideAccess, rolesFor } from './access-policy';

const call = (
  role: AdminRole,
  method: string,
  declared?: AdminRole[],
  body: unknown = {},
  fieldRules?: Record<string, AdminRole[]>,
) => decideAccess({ role, method, path: '/admin/v1/x', allowed: rolesFor(method, declared), fieldRules, body });

describe('admin access policy', () => {
  it('lets every role read and only owners and operators write, unless a handler says otherwise', () => {
    for (const role of ['owner', 'operator', 'auditor'] as const) expect(call(role, 'GET')).toEqual({ allow: true });
    expect(call('owner', 'POST')).toEqual({ allow: true });
    expect(call('operator', 'DELETE')).toEqual({ allow: true });
    for (const method of ['POST', 'PATCH', 'PUT', 'DELETE'])
      expect(call('auditor', method)).toMatchObject({ allow: false, reason: 'role_not_allowed' });
  });

  it('keeps admin tokens to owners, with auditors allowed to read the list', () => {
    expect(call('operator', 'POST', ['owner'])).toEqual({
      allow: false,
      reason: 'role_not_allowed',
      message: 'the operator role may not POST /admin/v1/x',
    });
    expect(call('operator', 'GET', ['owner', 'auditor'])).toMatchObject({ allow: false });
    expect(call('auditor', 'GET', ['owner', 'auditor'])).toEqual({ allow: true });
    expect(call('owner', 'DELETE', ['owner'])).toEqual({ allow: true });
  });

  it('refuses a field the role may not set, naming it, rather than applying the rest', () => {
    const rules = { baseUrl: ['owner'] as AdminRole[] };
    expect(call('operator', 'PATCH', undefined, { name: 'x', baseUrl: 'https://evil.example' }, rules)).toEqual({
      allow: false,
      reason: 'field_not_allowed',
      message: 'the operator role may not set baseUrl (only owner)',
      param: 'baseUrl',
    });
    expect(call('operator', 'PATCH', undefined, { name: 'x' }, rules)).toEqual({ allow: true });
    expect(call('owner', 'PATCH', undefined, { baseUrl: null }, rules)).toEqual({ allow: true });
    expect(call('operator', 'PATCH', undefined, { baseUrl: null }, rules)).toMatchObject({
      allow: false,
      param: 'baseUrl',
    });
  });
});
