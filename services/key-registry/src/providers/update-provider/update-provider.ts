import { DomainError, ErrorCodes, SUPPORTS_RESPONSES_RULE, type UpdateProviderBody } from '@sluice/contracts';
import { activeProvider, normalizeBaseUrl, type ProviderEvent, type ProviderState } from '../provider';

export interface UpdateProvider {
  type: 'UpdateProvider';
  providerId: string;
  body: UpdateProviderBody;
  now: Date;
}

type Change = { name?: string; baseUrl?: string | null; supportsResponses?: boolean };

/** Records only what changes, before and after; a PATCH that changes nothing appends nothing. */
export function decideUpdateProvider(command: UpdateProvider, state: ProviderState): ProviderEvent[] {
  const current = activeProvider(state, command.providerId);
  const { body } = command;
  const before: Change = {};
  const after: Change = {};
  if (body.name !== undefined && body.name !== current.name) {
    before.name = current.name;
    after.name = body.name;
  }
  if (body.baseUrl !== undefined) {
    const baseUrl = body.baseUrl === null ? null : normalizeBaseUrl(body.baseUrl);
    if (baseUrl === null && (current.type === 'openai-compatible' || current.type === 'azure-openai')) {
      throw new DomainError(ErrorCodes.validation, `baseUrl: an ${current.type} provider needs a base URL`, {
        param: 'baseUrl',
      });
    }
    if (baseUrl !== current.baseUrl) {
      before.baseUrl = current.baseUrl;
      after.baseUrl = baseUrl;
    }
  }
  if (body.supportsResponses !== undefined) {
    if (current.type !== 'openai-compatible')
      throw new DomainError(ErrorCodes.validation, `supportsResponses: ${SUPPORTS_RESPONSES_RULE}`, {
        param: 'supportsResponses',
      });
    if (body.supportsResponses !== current.supportsResponses) {
      before.supportsResponses = current.supportsResponses;
      after.supportsResponses = body.supportsResponses;
    }
  }
  if (Object.keys(after).length === 0) return [];
  return [
    {
      type: 'ProviderUpdated',
      data: { providerId: command.providerId, before, after, updatedAt: command.now.toISOString() },
    },
  ];
}
