import { randomBytes } from 'node:crypto';

/** Ids shaped like OpenAI's (`resp_`, `msg_`, `fc_` + 48 hex digits): unguessable, so an id alone reveals nothing. */
export const newId = (prefix: 'resp' | 'msg' | 'fc' | 'fco'): string => `${prefix}_${randomBytes(24).toString('hex')}`;

/** What a bridged response echoes of its request, as OpenAI's response object does. */
export function responseShell(body: Record<string, unknown>, id: string, createdAt: number): Record<string, unknown> {
  return {
    id,
    object: 'response',
    created_at: createdAt,
    status: 'in_progress',
    background: false,
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    model: body.model,
    output: [],
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: body.previous_response_id ?? null,
    reasoning: { effort: null, summary: (body.reasoning as { summary?: unknown } | undefined)?.summary ?? null },
    store: body.store !== false,
    temperature: body.temperature ?? 1,
    text: body.text ?? { format: { type: 'text' } },
    tool_choice: body.tool_choice ?? 'auto',
    tools: Array.isArray(body.tools) ? body.tools : [],
    top_p: body.top_p ?? 1,
    truncation: body.truncation ?? 'disabled',
    usage: null,
    user: body.user ?? null,
    metadata: body.metadata ?? {},
  };
}

export interface ChatMessageOut {
  content?: unknown;
  refusal?: unknown;
  tool_calls?: { id?: unknown; function?: { name?: unknown; arguments?: unknown } }[];
}

export const messageItem = (id: string, text: string, status = 'completed') => ({
  id,
  type: 'message',
  status,
  role: 'assistant',
  content: [{ type: 'output_text', text, annotations: [], logprobs: [] }],
});

export const functionCallItem = (id: string, callId: string, name: string, args: string, status = 'completed') => ({
  id,
  type: 'function_call',
  status,
  call_id: callId,
  name,
  arguments: args,
});

/** A chat answer's message as output items: its text (or refusal), then one function call per tool call. */
export function outputOf(message: ChatMessageOut | undefined): Record<string, unknown>[] {
  const output: Record<string, unknown>[] = [];
  if (typeof message?.content === 'string' && message.content !== '')
    output.push(messageItem(newId('msg'), message.content));
  else if (typeof message?.refusal === 'string' && message.refusal !== '') {
    output.push({
      id: newId('msg'),
      type: 'message',
      status: 'completed',
      role: 'assistant',
      content: [{ type: 'refusal', refusal: message.refusal }],
    });
  }
  for (const call of message?.tool_calls ?? []) {
    output.push(
      functionCallItem(
        newId('fc'),
        String(call.id ?? newId('fc')),
        String(call.function?.name ?? ''),
        typeof call.function?.arguments === 'string' ? call.function.arguments : '',
      ),
    );
  }
  return output;
}

/** How a chat answer ended, as a response's status. */
export function statusOf(finishReason: unknown): { status: string; incomplete_details: { reason: string } | null } {
  if (finishReason === 'length') return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
  if (finishReason === 'content_filter')
    return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } };
  return { status: 'completed', incomplete_details: null };
}
