import { useState } from 'preact/hooks';
import { ApiError } from '../api/client';
import type { Model, Provider } from '../api/types';
import { savedMessage, useApp } from '../app-context';
import { count, usd } from '../format';
import { FormActions, FormError, Select, TextField } from '../ui/controls';
import { Dialog } from '../ui/dialog';

const FIELDS = [
  'name',
  'providerId',
  'upstreamModel',
  'inputUsdPerMTok',
  'outputUsdPerMTok',
  'cachedInputUsdPerMTok',
  'cacheWriteUsdPerMTok',
  'maxOutputTokens',
];

/** The model catalog: what clients send as `model`, where it routes, and its prices. */
export function ModelsSection({
  models,
  providers,
  onChange,
}: {
  models: Model[];
  providers: Provider[];
  onChange: () => void;
}) {
  const { api, can, notify } = useApp();
  const [adding, setAdding] = useState(false);
  const providerName = (id: string) => providers.find((p) => p.id === id)?.name ?? id;
  const remove = async (m: Model) => {
    try {
      const res = await api.call('DELETE', `/models/${encodeURIComponent(m.name)}`);
      notify(savedMessage(`Model ${m.name} removed`, res.pending));
      onChange();
    } catch (err) {
      notify((err as Error).message);
    }
  };
  return (
    <section aria-labelledby="models-title">
      <div class="page-head">
        <h2 id="models-title">Model catalog</h2>
        {can.write && providers.length > 0 && (
          <button type="button" class="primary" onClick={() => setAdding(true)}>
            Add model
          </button>
        )}
      </div>
      <div class="table-wrap">
        <table data-testid="models">
          <thead>
            <tr>
              <th scope="col">Model</th>
              <th scope="col">Provider</th>
              <th scope="col">Upstream model</th>
              <th scope="col" class="num">
                Input $/M tokens
              </th>
              <th scope="col" class="num">
                Output $/M tokens
              </th>
              <th scope="col" class="num">
                Cached input $/M
              </th>
              <th scope="col" class="num">
                Cache write $/M
              </th>
              <th scope="col" class="num">
                Max output tokens
              </th>
              {can.write && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {models.length === 0 && (
              <tr>
                <td colSpan={9} class="empty">
                  No model yet.
                </td>
              </tr>
            )}
            {models.map((m) => (
              <tr key={m.name}>
                <td>{m.name}</td>
                <td>{providerName(m.providerId)}</td>
                <td>{m.upstreamModel}</td>
                <td class="num">{usd(m.inputUsdPerMTok)}</td>
                <td class="num">{usd(m.outputUsdPerMTok)}</td>
                <td class="num">{m.cachedInputUsdPerMTok === null ? '—' : usd(m.cachedInputUsdPerMTok)}</td>
                <td class="num">{m.cacheWriteUsdPerMTok == null ? '—' : usd(m.cacheWriteUsdPerMTok)}</td>
                <td class="num">{m.maxOutputTokens === null ? '—' : count(m.maxOutputTokens)}</td>
                {can.write && (
                  <td>
                    <button
                      type="button"
                      class="danger"
                      onClick={() => remove(m)}
                      aria-label={`Remove model ${m.name}`}
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
      {adding && (
        <AddModel
          providers={providers}
          onClose={() => setAdding(false)}
          onDone={() => {
            setAdding(false);
            onChange();
          }}
        />
      )}
    </section>
  );
}

function AddModel({ providers, onClose, onDone }: { providers: Provider[]; onClose: () => void; onDone: () => void }) {
  const { api, notify } = useApp();
  const [f, setF] = useState({
    name: '',
    providerId: providers[0]?.id ?? '',
    upstreamModel: '',
    inputUsdPerMTok: '',
    outputUsdPerMTok: '',
    cachedInputUsdPerMTok: '',
    cacheWriteUsdPerMTok: '',
    maxOutputTokens: '',
  });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const set = (patch: Partial<typeof f>) => setF((old) => ({ ...old, ...patch }));
  const submit = async (e: Event) => {
    e.preventDefault();
    const found: Record<string, string> = {};
    const num = (field: keyof typeof f, required: boolean, integer = false) => {
      const text = f[field].trim();
      if (!text) {
        if (required) found[field] = 'Required.';
        return undefined;
      }
      const n = Number(text);
      if (!Number.isFinite(n) || n < 0 || (integer && (!Number.isInteger(n) || n === 0)))
        found[field] = integer ? 'A whole number above 0.' : 'A price of 0 or more.';
      return n;
    };
    const body = {
      name: f.name.trim(),
      providerId: f.providerId,
      upstreamModel: f.upstreamModel.trim() || f.name.trim(),
      inputUsdPerMTok: num('inputUsdPerMTok', true),
      outputUsdPerMTok: num('outputUsdPerMTok', true),
      cachedInputUsdPerMTok: num('cachedInputUsdPerMTok', false),
      cacheWriteUsdPerMTok: num('cacheWriteUsdPerMTok', false),
      maxOutputTokens: num('maxOutputTokens', false, true),
    };
    if (!body.name) found.name = 'Required: what clients send as model.';
    setErrors(found);
    if (Object.keys(found).length) return;
    try {
      const res = await api.call('POST', '/models', body);
      notify(savedMessage(`Model ${body.name} added`, res.pending));
      onDone();
    } catch (err) {
      const e = err as ApiError;
      setErrors({ [e.param && FIELDS.includes(e.param) ? e.param : 'form']: e.message });
    }
  };
  return (
    <Dialog title="Add a model" onClose={onClose}>
      <form onSubmit={submit} class="form" noValidate>
        <TextField
          label="Model name"
          value={f.name}
          onValue={(name) => set({ name })}
          error={errors.name}
          hint="What clients send as model."
        />
        <Select
          label="Provider"
          value={f.providerId}
          onValue={(providerId) => set({ providerId })}
          options={providers.map((p) => [p.id, p.name])}
          error={errors.providerId}
        />
        <TextField
          label="Upstream model"
          value={f.upstreamModel}
          onValue={(upstreamModel) => set({ upstreamModel })}
          error={errors.upstreamModel}
          hint="The provider's name for it (Azure: the deployment). Empty: the same name."
        />
        <div class="grid">
          <TextField
            label="Input price (USD per million tokens)"
            inputMode="decimal"
            value={f.inputUsdPerMTok}
            onValue={(v) => set({ inputUsdPerMTok: v })}
            error={errors.inputUsdPerMTok}
          />
          <TextField
            label="Output price (USD per million tokens)"
            inputMode="decimal"
            value={f.outputUsdPerMTok}
            onValue={(v) => set({ outputUsdPerMTok: v })}
            error={errors.outputUsdPerMTok}
          />
          <TextField
            label="Cached input price (optional)"
            inputMode="decimal"
            value={f.cachedInputUsdPerMTok}
            onValue={(v) => set({ cachedInputUsdPerMTok: v })}
            error={errors.cachedInputUsdPerMTok}
          />
          <TextField
            label="Cache write price (optional)"
            inputMode="decimal"
            value={f.cacheWriteUsdPerMTok}
            onValue={(v) => set({ cacheWriteUsdPerMTok: v })}
            error={errors.cacheWriteUsdPerMTok}
          />
          <TextField
            label="Max output tokens (optional)"
            inputMode="numeric"
            value={f.maxOutputTokens}
            onValue={(v) => set({ maxOutputTokens: v })}
            error={errors.maxOutputTokens}
          />
        </div>
        <FormError message={errors.form} />
        <FormActions submit="Add model" onCancel={onClose} />
      </form>
    </Dialog>
  );
}
