import { useMemo, useState } from 'preact/hooks';
import { ApiError } from '../api/client';
import type { Key, KeyWithSecret, Model, Provider } from '../api/types';
import { savedMessage, useApp } from '../app-context';
import { FormActions, FormError, Select, TextField } from '../ui/controls';
import { Dialog } from '../ui/dialog';
import { fieldOfParam, formOfKey, toPatchBody, type KeyForm } from './key-form-state';
import { KEY_FORM_FIELDS, KeyFormFields } from './key-form';
import type { FieldErrors } from './key-rules';
import { ShowOnce } from './show-once';

type Done = (key: Key) => void;

export function EditKeyDialog({
  k,
  models,
  providers,
  onClose,
  onDone,
}: {
  k: Key;
  models: Model[];
  providers: Provider[];
  onClose: () => void;
  onDone: Done;
}) {
  const { api, notify } = useApp();
  const original = useMemo(() => formOfKey(k), [k]);
  const [form, setForm] = useState<KeyForm>(original);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const { body, errors: found } = toPatchBody(original, form, Date.now());
    setErrors(found);
    if (Object.keys(found).length) return;
    if (Object.keys(body).length === 0) return onClose();
    setBusy(true);
    try {
      const res = await api.call<Key>('PATCH', `/keys/${encodeURIComponent(k.id)}`, body);
      notify(savedMessage('Key saved', res.pending));
      onDone(res.data);
    } catch (err) {
      const e = err as ApiError;
      setErrors({ [fieldOfParam(e.param, KEY_FORM_FIELDS)]: e.message });
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog title={`Edit ${k.name}`} onClose={onClose} wide>
      <form onSubmit={submit} class="form" noValidate>
        <KeyFormFields
          form={form}
          set={(f) => setForm((old) => ({ ...old, ...f }))}
          errors={errors}
          models={models}
          providers={providers}
        />
        <FormError message={errors.form} />
        <FormActions submit="Save changes" disabled={busy} onCancel={onClose} />
      </form>
    </Dialog>
  );
}

const GRACE: [string, string][] = [
  ['0', 'None: the old secret stops now'],
  ['300', '5 minutes'],
  ['3600', '1 hour'],
  ['86400', '24 hours'],
  ['604800', '7 days'],
];

/**
 * A new secret. One Idempotency-Key per dialog: a double click, or a retry after a lost answer,
 * gets the same secret back instead of a second regeneration.
 */
export function RegenerateDialog({
  k,
  model,
  onClose,
  onDone,
}: {
  k: Key;
  model: string;
  onClose: () => void;
  onDone: Done;
}) {
  const { api, notify } = useApp();
  const idempotencyKey = useMemo(() => `console-${crypto.randomUUID()}`, []);
  const [grace, setGrace] = useState('3600');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [result, setResult] = useState<KeyWithSecret | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const res = await api.call<KeyWithSecret>(
        'POST',
        `/keys/${encodeURIComponent(k.id)}/regenerate`,
        { gracePeriodSeconds: Number(grace) },
        { 'idempotency-key': idempotencyKey },
      );
      notify(savedMessage('Key regenerated', res.pending));
      setResult(res.data);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  if (result) {
    return (
      <Dialog title={`New secret for ${k.name}`} onClose={() => onDone(result)} wide>
        <ShowOnce secret={result.key} model={model} title="The new secret" />
        {result.previousKeyExpiresAt && (
          <p>The old secret keeps working until {result.previousKeyExpiresAt.replace('T', ' ').slice(0, 19)} UTC.</p>
        )}
        <div class="actions">
          <button type="button" class="primary" onClick={() => onDone(result)}>
            I have saved it
          </button>
        </div>
      </Dialog>
    );
  }
  return (
    <Dialog title={`Regenerate ${k.name}`} onClose={onClose}>
      <form onSubmit={submit} class="form">
        <p>The key keeps its id, settings and usage; it gets a new secret, shown once.</p>
        <Select
          label="Grace period for the old secret"
          value={grace}
          onValue={setGrace}
          options={GRACE}
          error={error}
        />
        <FormActions submit="Regenerate secret" disabled={busy} onCancel={onClose} />
      </form>
    </Dialog>
  );
}

/** Revoking is for good: the admin types the key's name to confirm. */
export function DeleteDialog({ k, onClose, onDone }: { k: Key; onClose: () => void; onDone: Done }) {
  const { api, notify } = useApp();
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const submit = async (e: Event) => {
    e.preventDefault();
    if (typed !== k.name) return setError(`Type ${k.name} exactly.`);
    setBusy(true);
    try {
      const res = await api.call<Key>('DELETE', `/keys/${encodeURIComponent(k.id)}`);
      notify(savedMessage(`Key ${k.name} deleted`, res.pending));
      onDone(res.data);
    } catch (err) {
      setError((err as Error).message);
      setBusy(false);
    }
  };
  return (
    <Dialog title={`Delete ${k.name}`} onClose={onClose}>
      <form onSubmit={submit} class="form">
        <p>
          The key is revoked for good: its next call is refused, and it cannot be enabled again. Its history stays. To
          disable it for a while instead, use <em>Disable</em>.
        </p>
        <TextField
          label={`Type ${k.name} to confirm`}
          value={typed}
          onValue={setTyped}
          error={error}
          autocomplete="off"
        />
        <FormActions submit="Delete key" kind="danger" disabled={busy || typed !== k.name} onCancel={onClose} />
      </form>
    </Dialog>
  );
}
