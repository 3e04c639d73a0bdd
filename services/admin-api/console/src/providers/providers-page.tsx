import { useState } from 'preact/hooks';
import { ApiError } from '../api/client';
import type { Model, Provider } from '../api/types';
import { savedMessage, useApp } from '../app-context';
import { when } from '../format';
import { catalog } from '../keys/catalog';
import { ErrorNotice, FormActions, FormError, Select, TextField } from '../ui/controls';
import { Dialog } from '../ui/dialog';
import { useLoad } from '../ui/use-load';
import { ModelsSection } from './models-section';

const TYPES: [string, string][] = [
  ['openai', 'OpenAI'],
  ['anthropic', 'Anthropic'],
  ['azure-openai', 'Azure OpenAI'],
  ['openai-compatible', 'OpenAI-compatible (Ollama, vLLM, …)'],
  ['mock', 'Mock (built in, no key)'],
];

type Open = { kind: 'add' } | { kind: 'edit' | 'rotate' | 'remove'; provider: Provider } | null;

export function ProvidersPage() {
  const { api, can } = useApp();
  const [open, setOpen] = useState<Open>(null);
  const { data, error, reload } = useLoad(() => catalog(api), []);
  const done = () => {
    setOpen(null);
    void reload();
  };
  return (
    <section>
      <div class="page-head">
        <h1>Providers</h1>
        {can.write && (
          <button type="button" class="primary" onClick={() => setOpen({ kind: 'add' })}>
            Add provider
          </button>
        )}
      </div>
      <p class="hint">
        The real credentials Sluice calls providers with. A secret is write-only: Sluice shows its hint, never the
        secret.
      </p>
      <ErrorNotice error={error} />
      <div class="table-wrap">
        <table data-testid="providers">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Type</th>
              <th scope="col">Base URL</th>
              <th scope="col">Secret</th>
              <th scope="col">Added</th>
              {can.write && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {data?.providers.length === 0 && (
              <tr>
                <td colSpan={6} class="empty">
                  No provider yet.
                </td>
              </tr>
            )}
            {data?.providers.map((p) => (
              <tr key={p.id}>
                <td>
                  {p.name} <span class="hint mono">{p.id}</span>
                </td>
                <td>{p.type}</td>
                <td class="mono">{p.baseUrl ?? 'default'}</td>
                <td class="mono">{p.apiKeyHint ?? '—'}</td>
                <td>{when(p.createdAt)}</td>
                {can.write && (
                  <td class="actions">
                    <button
                      type="button"
                      onClick={() => setOpen({ kind: 'edit', provider: p })}
                      aria-label={`Edit ${p.name}`}
                    >
                      Edit
                    </button>
                    {p.type !== 'mock' && (
                      <button
                        type="button"
                        onClick={() => setOpen({ kind: 'rotate', provider: p })}
                        aria-label={`Rotate the secret of ${p.name}`}
                      >
                        Rotate secret
                      </button>
                    )}
                    <button
                      type="button"
                      class="danger"
                      onClick={() => setOpen({ kind: 'remove', provider: p })}
                      aria-label={`Remove ${p.name}`}
                    >
                      Remove
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <ModelsSection models={data?.models ?? []} providers={data?.providers ?? []} onChange={() => void reload()} />
      {open?.kind === 'add' && <AddProvider onClose={() => setOpen(null)} onDone={done} />}
      {open?.kind === 'edit' && <EditProvider p={open.provider} onClose={() => setOpen(null)} onDone={done} />}
      {open?.kind === 'rotate' && <RotateSecret p={open.provider} onClose={() => setOpen(null)} onDone={done} />}
      {open?.kind === 'remove' && (
        <RemoveProvider p={open.provider} models={data?.models ?? []} onClose={() => setOpen(null)} onDone={done} />
      )}
    </section>
  );
}

/** Runs a write, puts an error with a `param` on that field, and reports what was saved. */
function useWrite() {
  const { api, notify } = useApp();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const write = async (
    method: string,
    path: string,
    body: unknown,
    what: string,
    fields: string[],
  ): Promise<boolean> => {
    setBusy(true);
    setErrors({});
    try {
      const res = await api.call(method, path, body);
      notify(savedMessage(what, res.pending));
      return true;
    } catch (err) {
      const e = err as ApiError;
      setErrors({ [e.param && fields.includes(e.param) ? e.param : 'form']: e.message });
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { errors, busy, write };
}

function AddProvider({ onClose, onDone }: { onClose: () => void; onDone: () => void }) {
  const { errors, busy, write } = useWrite();
  const [name, setName] = useState('');
  const [type, setType] = useState('openai');
  const [apiKey, setApiKey] = useState('');
  const [baseUrl, setBaseUrl] = useState('');
  const submit = async (e: Event) => {
    e.preventDefault();
    const body = {
      name: name.trim(),
      type,
      ...(type !== 'mock' ? { apiKey } : {}),
      ...(baseUrl.trim() ? { baseUrl: baseUrl.trim() } : {}),
    };
    if (await write('POST', '/providers', body, `Provider ${name.trim()} added`, ['name', 'type', 'apiKey', 'baseUrl']))
      onDone();
  };
  const needsUrl = type === 'openai-compatible' || type === 'azure-openai';
  return (
    <Dialog title="Add a provider" onClose={onClose}>
      <form onSubmit={submit} class="form" noValidate>
        <TextField label="Provider name" value={name} onValue={setName} error={errors.name} required />
        <Select label="Type" value={type} onValue={setType} options={TYPES} error={errors.type} />
        {type !== 'mock' && (
          <TextField
            label="API key"
            type="password"
            autocomplete="off"
            value={apiKey}
            onValue={setApiKey}
            error={errors.apiKey}
            hint="Encrypted at rest; never shown again."
            required
          />
        )}
        {type !== 'mock' && (
          <TextField
            label="Base URL"
            type="url"
            value={baseUrl}
            onValue={setBaseUrl}
            error={errors.baseUrl}
            required={needsUrl}
            hint={
              needsUrl
                ? type === 'azure-openai'
                  ? 'https://<resource>.openai.azure.com'
                  : 'e.g. http://127.0.0.1:11434/v1'
                : "Optional: the provider's default."
            }
          />
        )}
        <FormError message={errors.form} />
        <FormActions submit="Add provider" disabled={busy} onCancel={onClose} />
      </form>
    </Dialog>
  );
}

function EditProvider({ p, onClose, onDone }: { p: Provider; onClose: () => void; onDone: () => void }) {
  const { can } = useApp();
  const { errors, busy, write } = useWrite();
  const [name, setName] = useState(p.name);
  const [baseUrl, setBaseUrl] = useState(p.baseUrl ?? '');
  const submit = async (e: Event) => {
    e.preventDefault();
    const body: Record<string, unknown> = {};
    if (name.trim() !== p.name) body.name = name.trim();
    if (can.changeBaseUrl && baseUrl.trim() !== (p.baseUrl ?? '')) body.baseUrl = baseUrl.trim() || null;
    if (Object.keys(body).length === 0) return onClose();
    if (await write('PATCH', `/providers/${encodeURIComponent(p.id)}`, body, 'Provider saved', ['name', 'baseUrl']))
      onDone();
  };
  return (
    <Dialog title={`Edit ${p.name}`} onClose={onClose}>
      <form onSubmit={submit} class="form" noValidate>
        <TextField label="Provider name" value={name} onValue={setName} error={errors.name} />
        {p.type !== 'mock' && (
          <TextField
            label="Base URL"
            type="url"
            value={baseUrl}
            onValue={setBaseUrl}
            error={errors.baseUrl}
            disabled={!can.changeBaseUrl}
            hint={
              can.changeBaseUrl
                ? 'Empty: the type\u2019s default.'
                : 'Only an owner may point a stored secret at another host.'
            }
          />
        )}
        <FormError message={errors.form} />
        <FormActions submit="Save provider" disabled={busy} onCancel={onClose} />
      </form>
    </Dialog>
  );
}

function RotateSecret({ p, onClose, onDone }: { p: Provider; onClose: () => void; onDone: () => void }) {
  const { errors, busy, write } = useWrite();
  const [apiKey, setApiKey] = useState('');
  const submit = async (e: Event) => {
    e.preventDefault();
    if (
      await write('POST', `/providers/${encodeURIComponent(p.id)}/rotate`, { apiKey }, `Secret of ${p.name} rotated`, [
        'apiKey',
      ])
    )
      onDone();
  };
  return (
    <Dialog title={`Rotate the secret of ${p.name}`} onClose={onClose}>
      <form onSubmit={submit} class="form" noValidate>
        <p>
          Every gateway uses the new secret from the next call; virtual keys are not touched. Current:{' '}
          <span class="mono">{p.apiKeyHint}</span>
        </p>
        <TextField
          label="New API key"
          type="password"
          autocomplete="off"
          value={apiKey}
          onValue={setApiKey}
          error={errors.apiKey}
          required
        />
        <FormError message={errors.form} />
        <FormActions submit="Rotate secret" disabled={busy || !apiKey} onCancel={onClose} />
      </form>
    </Dialog>
  );
}

function RemoveProvider({
  p,
  models,
  onClose,
  onDone,
}: {
  p: Provider;
  models: Model[];
  onClose: () => void;
  onDone: () => void;
}) {
  const { errors, busy, write } = useWrite();
  const routed = models.filter((m) => m.providerId === p.id).map((m) => m.name);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (await write('DELETE', `/providers/${encodeURIComponent(p.id)}`, undefined, `Provider ${p.name} removed`, []))
      onDone();
  };
  return (
    <Dialog title={`Remove ${p.name}`} onClose={onClose}>
      <form onSubmit={submit} class="form">
        {routed.length ? (
          <p>Models route to it ({routed.join(', ')}): remove them first.</p>
        ) : (
          <p>Its stored secrets are destroyed; its history stays.</p>
        )}
        <FormError message={errors.form} />
        <FormActions submit="Remove provider" kind="danger" disabled={busy} onCancel={onClose} />
      </form>
    </Dialog>
  );
}
