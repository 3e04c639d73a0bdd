/**
 * The longest `model` a call may name. The catalog holds no longer name (the admin schema caps
 * it at the same length), so a longer one could only ever be refused, after costing every matcher
 * it reached; OpenAI refuses strings above their bound the same way (`string_above_max_length`).
 */
export const MAX_MODEL_NAME_CHARS = 256;
