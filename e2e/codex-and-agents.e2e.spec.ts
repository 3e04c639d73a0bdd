import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { Agent, OpenAIProvider, Runner, setTracingDisabled, tool } from '@openai/agents';
import { mockChatCompletion, startMockUpstream, type MockUpstream } from '@sluice/mock-llm';
import { waitFor } from '@sluice/testing';
import { startE2eSystem, type E2eSystem } from './support/e2e-system';

jest.setTimeout(300_000);

const CODEX = resolve(__dirname, '..', 'node_modules', '@openai', 'codex', 'bin', 'codex.js');
const PRICE = { inputUsdPerMTok: 2, outputUsdPerMTok: 8 };
const expectedText = (prompt: string) =>
  mockChatCompletion({ model: 'mock-gpt', messages: [{ role: 'user', content: prompt }] }).choices[0].message.content;

/** The config.toml of docs/codex-and-agents.md: a model provider on Sluice, nothing that talks to anything else. */
const codexConfig = (baseUrl: string, model: string) => `model = "${model}"
model_provider = "sluice"
web_search = "disabled"

[model_providers.sluice]
name = "Sluice"
base_url = "${baseUrl}"
env_key = "SLUICE_API_KEY"
wire_api = "responses"
request_max_retries = 0
stream_max_retries = 0

[analytics]
enabled = false

[features]
plugins = false
remote_plugin = false
goals = false

[agents]
enabled = false
`;

interface CodexRun {
  code: number | null;
  events: {
    type: string;
    item?: { type: string; text?: string };
    usage?: {
      input_tokens: number;
      cached_input_tokens: number;
      output_tokens: number;
      reasoning_output_tokens: number;
    };
  }[];
  stderr: string;
}

/** `codex exec` as a user runs it: its own CODEX_HOME and HOME, stdin closed, JSON events on stdout. */
function runCodex(dir: string, baseUrl: string, model: string, key: string, prompt: string): Promise<CodexRun> {
  const codexHome = join(dir, 'codex-home');
  mkdirSync(codexHome, { recursive: true });
  mkdirSync(join(dir, 'home'), { recursive: true });
  mkdirSync(join(dir, 'work'), { recursive: true });
  writeFileSync(join(codexHome, 'config.toml'), codexConfig(baseUrl, model));
  return new Promise((done) => {
    const child = spawn(process.execPath, [CODEX, 'exec', '--skip-git-repo-check', '--ephemeral', '--json', prompt], {
      cwd: join(dir, 'work'),
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: join(dir, 'home'),
        CODEX_HOME: codexHome,
        SLUICE_API_KEY: key,
        NO_PROXY: '127.0.0.1,localhost',
        TERM: 'dumb',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => {
      const events = stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l));
      done({ code, events, stderr });
    });
  });
}

describe('Codex CLI and the Agents SDK through Sluice (real NATS, Postgres, the five services)', () => {
  let e2e: E2eSystem;
  let chatOnly: MockUpstream;
  let key: { id: string; key: string };
  let dir: string;
  const baseUrl = () => e2e.system.gatewayUrl.replace('localhost', '127.0.0.1');
  const from = new Date(Date.now() - 3600_000).toISOString();

  beforeAll(async () => {
    setTracingDisabled(true);
    dir = mkdtempSync(join(tmpdir(), 'sluice-codex-'));
    [e2e, chatOnly] = await Promise.all([startE2eSystem(), startMockUpstream({ chatOnly: true })]);
    const native = await e2e.admin('POST', '/providers', {
      name: 'responses-upstream',
      type: 'openai-compatible',
      supportsResponses: true,
      apiKey: 'sk-upstream-native-0123456789',
      baseUrl: e2e.upstream.url,
    });
    const bridged = await e2e.admin('POST', '/providers', {
      name: 'chat-upstream',
      type: 'openai-compatible',
      apiKey: 'sk-upstream-chat-0123456789',
      baseUrl: chatOnly.url,
    });
    expect([native.body.supportsResponses, bridged.body.supportsResponses]).toEqual([true, false]);
    for (const [name, providerId] of [
      ['sluice-native', native.body.id],
      ['sluice-bridged', bridged.body.id],
    ]) {
      expect(
        (await e2e.admin('POST', '/models', { name, providerId, upstreamModel: 'mock-gpt', ...PRICE })).status,
      ).toBe(201);
    }
    key = (await e2e.admin('POST', '/keys', { name: 'codex', operations: ['responses'] })).body;
  });
  afterAll(async () => {
    await e2e?.stop();
    await chatOnly?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['native', 'sluice-native'],
    ['bridged', 'sluice-bridged'],
  ])(
    'the real Codex CLI completes a task (%s), and its calls are on the key as the upstream invoiced them',
    async (route, model) => {
      const upstream = route === 'native' ? e2e.upstream : chatOnly;
      const billedBefore = new Set(upstream.invoice.byRequest.keys());
      const run = await runCodex(join(dir, route), baseUrl(), model, key.key, 'Say hi to Sluice');
      expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
      const message = run.events.find((e) => e.type === 'item.completed' && e.item?.type === 'agent_message');
      expect(message?.item?.text).toBe(expectedText('Say hi to Sluice'));
      const turn = run.events.find((e) => e.type === 'turn.completed')!;

      const calls = [...upstream.invoice.byRequest.entries()].filter(([id]) => !billedBefore.has(id)).map(([, e]) => e);
      expect(calls.length).toBeGreaterThanOrEqual(1);
      expect(
        calls.every(
          (c) =>
            c.authorization ===
            (route === 'native' ? 'Bearer sk-upstream-native-0123456789' : 'Bearer sk-upstream-chat-0123456789'),
        ),
      ).toBe(true);
      const invoice = {
        input: calls.reduce((s, c) => s + c.promptTokens, 0),
        output: calls.reduce((s, c) => s + c.completionTokens, 0),
      };
      expect(turn.usage).toMatchObject({ input_tokens: invoice.input, output_tokens: invoice.output });

      const recorded = await waitFor(
        async () => {
          const { body } = await e2e.admin('GET', `/requests?${new URLSearchParams({ from, keyId: key.id, model })}`);
          return body.data.length >= calls.length ? body.data : null;
        },
        { timeoutMs: 20_000, description: 'the Codex calls recorded on the key' },
      );
      expect(
        recorded.every((r: { operation: string; status: number }) => r.operation === 'responses' && r.status === 200),
      ).toBe(true);
      expect(recorded.reduce((s: number, r: { inputTokens: number }) => s + r.inputTokens, 0)).toBe(invoice.input);
      expect(recorded.reduce((s: number, r: { outputTokens: number }) => s + r.outputTokens, 0)).toBe(invoice.output);
    },
  );

  it.each([
    ['native', false, 'sluice-native'],
    ['bridged', true, 'sluice-bridged'],
  ] as const)('the Agents SDK runs an agent with one tool (%s, streamed: %s)', async (route, stream, model) => {
    const calledWith: string[] = [];
    const getWeather = tool({
      name: 'get_weather',
      description: 'Weather for a city',
      parameters: z.object({ city: z.string() }),
      execute: async ({ city }) => {
        calledWith.push(city);
        return `Sunny in ${city}`;
      },
    });
    const agent = new Agent({ name: 'Weather', instructions: 'Answer with the tool.', model, tools: [getWeather] });
    const runner = new Runner({
      modelProvider: new OpenAIProvider({ apiKey: key.key, baseURL: baseUrl(), useResponses: true }),
    });
    const prompt = 'Weather in "Paris"? Use get_weather.';
    let finalOutput: unknown;
    let lastResponseId: string | undefined;
    if (stream) {
      const result = await runner.run(agent, prompt, { stream: true });
      for await (const _event of result);
      await result.completed;
      finalOutput = result.finalOutput;
      lastResponseId = result.lastResponseId;
    } else {
      const result = await runner.run(agent, prompt);
      finalOutput = result.finalOutput;
      lastResponseId = result.lastResponseId;
    }
    expect(calledWith).toEqual(['Paris']);
    // Once the tool ran the mock answers with text: its chat completions quote the tool's result
    // (bridged), its Responses API answers the turn's prompt again (native).
    const lastTurn = route === 'bridged' ? 'tool result: Sunny in Paris' : prompt;
    expect(finalOutput).toBe(
      mockChatCompletion({ model: 'mock-gpt', messages: [{ role: 'user', content: lastTurn }] }).choices[0].message
        .content,
    );
    // The run's responses are the key's: it can read the last one back.
    const res = await fetch(`${baseUrl()}/responses/${lastResponseId}`, {
      headers: { authorization: `Bearer ${key.key}` },
    });
    expect(res.status).toBe(200);
  });
});
