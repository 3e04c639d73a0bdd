import { SetMetadata } from '@nestjs/common';
import type { AdminRole } from '@sluice/contracts';

export const ROLES_KEY = 'sluice:admin-roles';
export const FIELD_RULES_KEY = 'sluice:admin-field-rules';

/** The roles that may call a handler (or every handler of a controller). Without it: see `rolesFor`. */
export const Roles = (...roles: AdminRole[]) => SetMetadata(ROLES_KEY, roles);

/**
 * Body fields only some roles may set: a request that sets one is refused (403 naming the field), never half-applied.
 */
export type FieldRules = Record<string, readonly AdminRole[]>;
export const RestrictFields = (rules: FieldRules) => SetMetadata(FIELD_RULES_KEY, rules);
