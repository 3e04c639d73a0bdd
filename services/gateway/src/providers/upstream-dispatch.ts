import { UpstreamNotAllowedError } from '@sluice/net-policy';
import type { Logger } from '@sluice/service';
import type { CredentialSync } from '../credentials/credential-sync';
import { GatewayErrors, providerNotSupported } from '../ingress/openai-errors';
import { anthropicUpstreamRequest, asOpenAi } from './anthropic/anthropic-provider';
import { azureRequest } from './azure-openai/azure-request';
import { openMock } from './mock/mock-provider';
import type { OpenAiCompatibleProvider } from './openai-compatible/openai-compatible';
import { upstreamNotAllowed } from './upstream-errors';
import type { UpstreamCall, UpstreamOutcome } from './upstream';

/** Opens the call on the provider the route names; a provider type is a folder under providers/. */
export class UpstreamDispatch {
  constructor(
    private readonly credentials: CredentialSync,
    private readonly openAiCompatible: OpenAiCompatibleProvider,
    private readonly logger: Logger,
  ) {}

  async open(call: UpstreamCall): Promise<UpstreamOutcome> {
    const type = call.route.providerType;
    switch (type) {
      case 'mock':
        return { ok: true, response: openMock(call) };
      case 'openai':
      case 'openai-compatible':
      case 'azure-openai': {
        const credential = await this.credentials.resolve(call.route.providerId, call.route.secretVersion, call.route.baseUrl);
        if (!credential || (type === 'azure-openai') !== (credential.azure !== undefined)) {
          this.logger.warn({ requestId: call.requestId, providerId: call.route.providerId }, 'no credential for the routed provider');
          return { ok: false, error: GatewayErrors.credentialsUnavailable };
        }
        try {
          const response = credential.azure
            ? await this.openAiCompatible.send(azureRequest(call, credential, credential.azure))
            : await this.openAiCompatible.open(call, credential);
          return { ok: true, response };
        } catch (err) {
          if (err instanceof UpstreamNotAllowedError) {
            this.logger.warn({ requestId: call.requestId, providerId: call.route.providerId, reason: err.reason }, 'upstream address refused by SLUICE_UPSTREAM_ALLOW policy');
            return { ok: false, error: upstreamNotAllowed(err.reason) };
          }
          const e = err as Error & { code?: string };
          this.logger.warn({ requestId: call.requestId, providerId: call.route.providerId, code: e.code, err: e.message }, 'upstream unreachable');
          return { ok: false, error: GatewayErrors.upstreamUnreachable };
        }
      }
      case 'anthropic':
        return this.openAnthropic(call);
      default: {
        const unknown: never = type;
        return { ok: false, error: providerNotSupported(String(unknown)) };
      }
    }
  }

  /** Anthropic's Messages API behind the OpenAI chat API, through the same guarded pool. */
  private async openAnthropic(call: UpstreamCall): Promise<UpstreamOutcome> {
    const credential = await this.credentials.resolve(call.route.providerId, call.route.secretVersion, call.route.baseUrl);
    if (credential?.type !== 'anthropic') {
      this.logger.warn({ requestId: call.requestId, providerId: call.route.providerId }, 'no credential for the routed provider');
      return { ok: false, error: GatewayErrors.credentialsUnavailable };
    }
    const built = anthropicUpstreamRequest(call, credential);
    if (!built.ok) return built;
    try {
      return { ok: true, response: asOpenAi(await this.openAiCompatible.send(built.request), Math.floor(Date.now() / 1000)) };
    } catch (err) {
      if (err instanceof UpstreamNotAllowedError) {
        this.logger.warn({ requestId: call.requestId, providerId: call.route.providerId, reason: err.reason }, 'upstream address refused by SLUICE_UPSTREAM_ALLOW policy');
        return { ok: false, error: upstreamNotAllowed(err.reason) };
      }
      const e = err as Error & { code?: string };
      this.logger.warn({ requestId: call.requestId, providerId: call.route.providerId, code: e.code, err: e.message }, 'upstream unreachable');
      return { ok: false, error: GatewayErrors.upstreamUnreachable };
    }
  }
}
