import { estimatePromptTokens, type Operation, type SimulateKeyBody, type SimulateRequest } from '@sluice/contracts';

/** The dry run policy evaluates: the call's estimate is built as the gateway builds it for authorize. */
export function toSimulateRequest(keyId: string, body: SimulateKeyBody): SimulateRequest {
  const operation = body.operation as Operation;
  const inputTokens = body.inputTokens ?? estimatePromptTokens(operation, { messages: body.messages, prompt: body.prompt, input: body.input });
  return {
    keyId,
    model: body.model,
    operation,
    ...(body.clientIp ? { clientIp: body.clientIp } : {}),
    estimate: { inputTokens, maxOutputTokens: body.maxTokens ?? null },
  };
}
