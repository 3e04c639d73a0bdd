import {
  promptTokens,
  type CallEstimate,
  type Operation,
  type SimulateKeyBody,
  type SimulateRequest,
} from '@sluice/contracts';

/** The dry run policy evaluates: the call's estimate is built as the gateway builds it for authorize. */
export function toSimulateRequest(keyId: string, body: SimulateKeyBody): SimulateRequest {
  const operation = body.operation as Operation;
  const estimate: CallEstimate = { inputTokens: body.inputTokens ?? 0, maxOutputTokens: body.maxTokens ?? null };
  if (body.inputTokens === undefined) {
    const prompt = promptTokens(operation, { messages: body.messages, prompt: body.prompt, input: body.input });
    Object.assign(
      estimate,
      { inputTokens: prompt.estimate, inputTokensBound: prompt.bound },
      prompt.images ? { images: prompt.images } : {},
    );
  }
  return {
    keyId,
    model: body.model,
    operation,
    ...(body.clientIp ? { clientIp: body.clientIp } : {}),
    estimate,
  };
}
