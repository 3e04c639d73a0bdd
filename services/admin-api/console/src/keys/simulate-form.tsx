import { useState } from 'preact/hooks';
import { ApiError } from '../api/client';
import type { Model, SimulateReply } from '../api/types';
import { useApp } from '../app-context';
import { usd } from '../format';
import { Select, TextArea, TextField } from '../ui/controls';
import { OPERATIONS } from './key-rules';

/** "Would this request be allowed?": a dry run in policy that names the rule that would refuse it. */
export function SimulateForm({ keyId, models }: { keyId: string; models: Model[] }) {
  const { api } = useApp();
  const [model, setModel] = useState('');
  const [operation, setOperation] = useState('chat');
  const [clientIp, setClientIp] = useState('');
  const [prompt, setPrompt] = useState('Hello');
  const [maxTokens, setMaxTokens] = useState('');
  const [result, setResult] = useState<SimulateReply | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setResult(null);
    const text =
      operation === 'chat'
        ? { messages: [{ role: 'user', content: prompt }] }
        : operation === 'completions'
          ? { prompt }
          : { input: prompt };
    try {
      const body = {
        model: model || models[0]?.name || '',
        operation,
        ...(clientIp.trim() ? { clientIp: clientIp.trim() } : {}),
        ...text,
        ...(maxTokens.trim() ? { maxTokens: Number(maxTokens) } : {}),
      };
      setResult((await api.call<SimulateReply>('POST', `/keys/${encodeURIComponent(keyId)}/simulate`, body)).data);
    } catch (err) {
      setError(err as ApiError);
    }
  };
  const options: [string, string][] = models.map((m) => [m.name, m.name]);
  return (
    <section aria-labelledby="simulate-title">
      <h2 id="simulate-title">Would this request be allowed?</h2>
      <form onSubmit={submit} class="card form" noValidate>
        <div class="grid">
          <TextField
            label="Model"
            value={model}
            onValue={setModel}
            list="simulate-models"
            placeholder={models[0]?.name ?? 'model'}
            error={error?.param === 'model' ? error.message : undefined}
          />
          <datalist id="simulate-models">
            {options.map(([v]) => (
              <option key={v} value={v} />
            ))}
          </datalist>
          <Select label="Operation" value={operation} onValue={setOperation} options={OPERATIONS.map((o) => [o, o])} />
          <TextField
            label="Client IP"
            value={clientIp}
            onValue={setClientIp}
            placeholder="not checked"
            error={error?.param === 'clientIp' ? error.message : undefined}
          />
          <TextField
            label="Max tokens"
            inputMode="numeric"
            value={maxTokens}
            onValue={setMaxTokens}
            placeholder="model's cap"
            error={error?.param === 'maxTokens' ? error.message : undefined}
          />
        </div>
        <TextArea label="Prompt" value={prompt} onValue={setPrompt} rows={2} />
        <button type="submit">Check</button>
      </form>
      {error && !['model', 'clientIp', 'maxTokens'].includes(error.param ?? '') && (
        <p class="notice error" role="alert">
          {error.message}
        </p>
      )}
      {result && (
        <div class={`notice ${result.allowed ? 'ok' : 'error'}`} role="status" data-testid="simulate-result">
          {result.allowed ? (
            <p>
              <strong>Allowed.</strong> Routed to {result.route?.upstreamModel} on {result.route?.providerId}; reserves{' '}
              {usd(result.reservedUsd)} of the budget.
            </p>
          ) : (
            <p>
              <strong>Refused by the rule {result.rule}</strong> ({result.error?.status} {result.error?.code}):{' '}
              {result.error?.message}
            </p>
          )}
        </div>
      )}
    </section>
  );
}
