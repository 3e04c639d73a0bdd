import { MAX_POLICY_WAIT_SECONDS } from '@sluice/contracts';
import { errors, ok, type Paths } from '../openapi/openapi-helpers';

const wait = (defaultSeconds: number) => ({
  name: 'wait',
  in: 'query',
  required: false,
  description: `Seconds to wait for policy to enforce the change (default ${defaultSeconds}, at most ${MAX_POLICY_WAIT_SECONDS})`,
  schema: { type: 'number', minimum: 0, maximum: MAX_POLICY_WAIT_SECONDS, default: defaultSeconds },
});

/**
 * A write that waits on policy: `?wait=`, and a 202 when policy did not confirm it in that time
 * (recorded, not yet in force). Both answers carry `x-sluice-change` and `x-sluice-change-status`.
 */
export function policyWrite<T extends { responses: Record<string, unknown>; parameters?: unknown[] }>(operation: T): T {
  return {
    ...operation,
    parameters: [...(operation.parameters ?? []), wait(2)],
    responses: {
      ...operation.responses,
      '202': ok(
        'recorded, but policy did not confirm it within `wait`: not yet in force on every gateway (x-sluice-change-status: pending); same body; wait on GET /admin/v1/changes/{x-sluice-change}',
      ),
    },
  };
}

export const changePaths: Paths = {
  '/admin/v1/changes/{change}': {
    get: {
      summary: 'Whether an admin change is in force: `<stream>@<version>` from the x-sluice-change header of a write',
      parameters: [{ name: 'change', in: 'path', required: true, schema: { type: 'string' } }, wait(0)],
      responses: { '200': ok('{change, streamId, version, status: applied | pending}'), ...errors },
    },
  },
};
