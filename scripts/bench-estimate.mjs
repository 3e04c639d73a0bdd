// `npm run bench:estimate`: what counting a call's worst case costs on the request path — the
// gateway's `callEstimate` (prompt estimate, byte bound, images, output cap, choices) on bodies
// from a one-line chat to a megabyte, and an agent turn in Messages and in Responses — and what
// the tokenizer costs when an upstream sends no usage (off the request path, after the answer).
// µs per call, BENCH_ROUNDS (default 2,000) rounds of each after a warm-up. Bodies are parsed
// once, as the gateway parses them.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { build, root } from './setup.mjs';

await build();
const require = createRequire(import.meta.url);
const { callEstimate } = require(join(root, 'services/gateway/dist/usage/estimate.js'));
const { tokenCounterFor } = require(join(root, 'services/gateway/dist/usage/tokenizers.js'));

const rounds = Number(process.env.BENCH_ROUNDS ?? 2000);
const words = 'sluice gates meter every token that flows through the channel while keys open and close'.split(' ');
const prose = (n) => Array.from({ length: n }, (_, i) => words[(i * 7) % words.length]).join(' ');
const tool = (i, chars) => ({
  type: 'function',
  function: {
    name: `lookup_${i}`,
    description: prose(chars / 6).slice(0, chars),
    parameters: { type: 'object', properties: { id: { type: 'string' } } },
  },
});
const png = Buffer.alloc(750_000);
png.writeUInt32BE(0x89504e47, 0);
png.write('IHDR', 12, 'latin1');
png.writeUInt32BE(1024, 16);
png.writeUInt32BE(768, 20);

const chat = {
  'small chat (2 messages, 60 B)': {
    model: 'm',
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'What is a sluice?' },
    ],
  },
  'chat, 20 messages (8 KB)': {
    model: 'm',
    messages: Array.from({ length: 20 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: prose(70) })),
  },
  'n: 8 + 20,000 tokens of tools (80 KB)': {
    model: 'm',
    n: 8,
    tools: Array.from({ length: 10 }, (_, i) => tool(i, 7900)),
    messages: [{ role: 'user', content: 'Which record?' }],
  },
  'chat, 1 MB of text': { model: 'm', messages: [{ role: 'user', content: prose(170_000) }] },
  'image data URL (1 MB base64)': {
    model: 'm',
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: `data:image/png;base64,${png.toString('base64')}` } },
        ],
      },
    ],
  },
};
const anthropicTool = (i, chars) => ({
  name: `lookup_${i}`,
  description: prose(chars / 6).slice(0, chars),
  input_schema: { type: 'object', properties: { id: { type: 'string' } } },
});
const messages = {
  'Messages, agent turn (20 tools, 40 blocks, 60 KB)': {
    model: 'm',
    max_tokens: 4096,
    system: [{ type: 'text', text: prose(1500), cache_control: { type: 'ephemeral' } }],
    tools: Array.from({ length: 20 }, (_, i) => anthropicTool(i, 1500)),
    messages: Array.from({ length: 20 }, (_, i) =>
      i % 2
        ? {
            role: 'assistant',
            content: [
              { type: 'text', text: prose(60) },
              { type: 'tool_use', id: `toolu_${i}`, name: 'lookup_1', input: { id: String(i) } },
            ],
          }
        : {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: `toolu_${i - 1}`, content: [{ type: 'text', text: prose(200) }] },
            ],
          },
    ),
  },
};
const responses = {
  'Responses, agent turn (10 tools, 40 items, 50 KB)': {
    model: 'm',
    instructions: prose(1500),
    tools: Array.from({ length: 10 }, (_, i) => ({ type: 'function', ...tool(i, 1500).function })),
    input: Array.from({ length: 40 }, (_, i) =>
      i % 2
        ? { type: 'function_call', call_id: `call_${i}`, name: 'lookup_1', arguments: `{"id":"${i}"}` }
        : i % 4
          ? { type: 'function_call_output', call_id: `call_${i - 1}`, output: prose(200) }
          : { type: 'message', role: 'user', content: [{ type: 'input_text', text: prose(100) }] },
    ),
  },
};
const bodies = [
  ...Object.entries(chat).map(([name, body]) => ['chat', name, body]),
  ...Object.entries(messages).map(([name, body]) => ['messages', name, body]),
  ...Object.entries(responses).map(([name, body]) => ['responses', name, body]),
];

const time = (fn, n) => {
  for (let i = 0; i < Math.min(5000, n); i++) fn();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - t0) / 1e3 / n;
};

console.log('callEstimate (request path), µs per call:');
for (const [op, name, body] of bodies) {
  const size = Buffer.byteLength(JSON.stringify(body));
  const n = size > 500_000 ? Math.max(20, rounds / 50) : rounds;
  console.log(
    `  ${name.padEnd(52)} ${time(() => callEstimate(op, body), n)
      .toFixed(2)
      .padStart(9)} µs`,
  );
}

const t0 = performance.now();
const count = tokenCounterFor('gpt-4o');
const loadMs = performance.now() - t0;
console.log(`\no200k tokenizer (only when an upstream sends no usage): first load ${loadMs.toFixed(0)} ms`);
for (const [name, text] of [
  ['300-token reply', prose(250)],
  ['4,000-token reply', prose(3300)],
]) {
  console.log(
    `  ${name.padEnd(40)} ${time(() => count(text), Math.max(20, rounds / 10))
      .toFixed(2)
      .padStart(9)} µs`,
  );
}
