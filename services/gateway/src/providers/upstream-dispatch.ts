import type { Route } from '@sluice/contracts';
import { UpstreamNotAllowedError } from '@sluice/net-policy';
import type { Logger } from '@sluice/service';
import type { CredentialSync } from '../credentials/credential-sync';
import type { ResolvedCredential } from '../credentials/resolved-credential';
import { GatewayErrors, providerNotSupported } from '../errors/gateway-errors';
import { anthropicUpstreamRequest, asOpenAi } from './anthropic/anthropic-provider';
import { anthropicNativeRequest, type NativeMessages } from './anthropic/native-request';
import { azureRequest } from './azure-openai/azure-request';
import { openMock } from './mock/mock-provider';
import type { OpenAiCompatibleProvider, UpstreamRequest } from './openai-compatible/openai-compatible';
import { upstreamNotAllowed, upstreamUnsent } from './upstream-errors';
import type { UpstreamCall, UpstreamOutcome, UpstreamResponse } from './upstream';

/** Opens the call on the provider the route names; a provider type is a folder under providers/. */
export class UpstreamDispatch {
  constructor(
    private readonly credentials: CredentialSync,
    private readonly openAiCompatible: OpenAiCompatibleProvider,
    private readonly logger: Logger,
    private readonly maxSseEventBytes: number,
  ) {}

  async open(call: UpstreamCall): Promise<UpstreamOutcome> {
    const type = call.route.providerType;
    if (type === 'mock') return { ok: true, response: openMock(call) };
    const credential = await this.credentials.resolve(
      call.route.providerId,
      call.route.secretVersion,
      call.route.baseUrl,
    );
    switch (type) {
      case 'openai':
      case 'openai-compatible':
      case 'azure-openai': {
        if (
          !credential ||
          credential.type === 'anthropic' ||
          (type === 'azure-openai') !== (credential.azure !== undefined)
        )
          return this.noCredential(call);
        const azure = credential.azure;
        return this.send(call, () =>
          azure
            ? this.openAiCompatible.send(azureRequest(call, credential, azure), call.signal)
            : this.openAiCompatible.open(call, credential),
        );
      }
      case 'anthropic': {
        // Anthropic's Messages API behind the OpenAI chat API, through the same guarded pool.
        if (credential?.type !== 'anthropic') return this.noCredential(call);
        const built = anthropicUpstreamRequest(call, credential);
        if (!built.ok) return built;
        return this.send(call, async () =>
          asOpenAi(
            await this.openAiCompatible.send(built.request, call.signal),
            Math.floor(Date.now() / 1000),
            this.maxSseEventBytes,
          ),
        );
      }
      default: {
        const unknown: never = type;
        return { ok: false, error: providerNotSupported(String(unknown)) };
      }
    }
  }

  /**
   * A Messages call to an `anthropic` provider as its client made it: its bytes and Anthropic's headers, untranslated.
   */
  async openAnthropic(route: Route, messages: NativeMessages, signal?: AbortSignal): Promise<UpstreamOutcome> {
    const call = { requestId: messages.requestId, route, signal };
    const credential = await this.credentials.resolve(route.providerId, route.secretVersion, route.baseUrl);
    if (credential?.type !== 'anthropic') return this.noCredential(call);
    return this.send(call, () => this.openAiCompatible.send(anthropicNativeRequest(credential, messages), signal));
  }

  /**
   * A request the dialect built itself (OpenAI's Responses API) for an OpenAI-shaped provider
   * (openai, azure-openai, openai-compatible): with the route's credential, through the same pool.
   */
  async forward(
    route: Route,
    requestId: string,
    build: (credential: ResolvedCredential) => UpstreamRequest,
    signal?: AbortSignal,
  ): Promise<UpstreamOutcome> {
    const call = { requestId, route, signal };
    if (
      route.providerType !== 'openai' &&
      route.providerType !== 'azure-openai' &&
      route.providerType !== 'openai-compatible'
    )
      return { ok: false, error: providerNotSupported(route.providerType) };
    const credential = await this.credentials.resolve(route.providerId, route.secretVersion, route.baseUrl);
    if (
      !credential ||
      credential.type === 'anthropic' ||
      (route.providerType === 'azure-openai') !== (credential.azure !== undefined)
    )
      return this.noCredential(call);
    return this.send(call, () => this.openAiCompatible.send(build(credential), signal));
  }

  private noCredential(call: Pick<UpstreamCall, 'requestId' | 'route'>): UpstreamOutcome {
    this.logger.warn(
      { requestId: call.requestId, providerId: call.route.providerId },
      'no credential for the routed provider',
    );
    return { ok: false, error: GatewayErrors.credentialsUnavailable };
  }

  /** Sends through the guarded pool; a refused address or an unreachable upstream becomes its OpenAI-shaped error. */
  private async send(
    call: Pick<UpstreamCall, 'requestId' | 'route' | 'signal'>,
    open: () => Promise<UpstreamResponse>,
  ): Promise<UpstreamOutcome> {
    try {
      return { ok: true, response: await open() };
    } catch (err) {
      // The call's deadline passed: the route answers for it.
      if (call.signal?.aborted) return { ok: false, error: GatewayErrors.upstreamUnreachable };
      if (err instanceof UpstreamNotAllowedError) {
        this.logger.warn(
          { requestId: call.requestId, providerId: call.route.providerId, reason: err.reason },
          'upstream address refused by SLUICE_UPSTREAM_ALLOW policy',
        );
        return { ok: false, error: upstreamNotAllowed(err.reason) };
      }
      const e = err as Error & { code?: string };
      this.logger.warn(
        { requestId: call.requestId, providerId: call.route.providerId, code: e.code, err: e.message },
        'upstream unreachable',
      );
      return { ok: false, error: upstreamUnsent(e), held: e.code === 'UND_ERR_HEADERS_TIMEOUT' };
    }
  }
}
