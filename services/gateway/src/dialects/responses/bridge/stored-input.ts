import { newId } from './response-object';

/**
 * This turn's input as OpenAI keeps it, for `input_items` and a later turn: a string is one user
 * message, a message's string content becomes one text part, and every item has an id.
 */
export function storedInput(input: unknown): Record<string, unknown>[] {
  const items =
    typeof input === 'string'
      ? [{ type: 'message', role: 'user', content: input }]
      : (input as Record<string, unknown>[]);
  return items.map((item) => {
    const type = (item.type as string | undefined) ?? 'message';
    const content =
      type === 'message' && typeof item.content === 'string'
        ? [{ type: item.role === 'assistant' ? 'output_text' : 'input_text', text: item.content }]
        : item.content;
    return {
      ...item,
      id:
        typeof item.id === 'string'
          ? item.id
          : newId(type === 'function_call_output' ? 'fco' : type === 'function_call' ? 'fc' : 'msg'),
      type,
      ...(content !== undefined ? { content } : {}),
    };
  });
}
