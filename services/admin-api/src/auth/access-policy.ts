import type { AccessDeniedReason, AdminRole } from '@sluice/contracts';
import type { FieldRules } from './roles';

export const ALL_ROLES: readonly AdminRole[] = ['owner', 'operator', 'auditor'];
const WRITERS: readonly AdminRole[] = ['owner', 'operator'];

/** Declared roles win; otherwise reads are open to every role and writes to owners and operators. */
export function rolesFor(method: string, declared: readonly AdminRole[] | undefined): readonly AdminRole[] {
  if (declared) return declared;
  return method === 'GET' || method === 'HEAD' ? ALL_ROLES : WRITERS;
}

export interface AccessRequest {
  role: AdminRole;
  method: string;
  path: string;
  allowed: readonly AdminRole[];
  fieldRules?: FieldRules;
  body: unknown;
}

export type AccessDecision =
  | { allow: true }
  | { allow: false; reason: AccessDeniedReason; message: string; param?: string };

/** May this role make this call with this body? Pure: the guard feeds it the route's metadata. */
export function decideAccess(req: AccessRequest): AccessDecision {
  if (!req.allowed.includes(req.role)) {
    return {
      allow: false,
      reason: 'role_not_allowed',
      message: `the ${req.role} role may not ${req.method} ${req.path}`,
    };
  }
  const body = req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {};
  for (const [field, roles] of Object.entries(req.fieldRules ?? {})) {
    if (body[field] !== undefined && !roles.includes(req.role)) {
      return {
        allow: false,
        reason: 'field_not_allowed',
        message: `the ${req.role} role may not set ${field} (only ${roles.join(', ')})`,
        param: field,
      };
    }
  }
  return { allow: true };
}
