import { useState } from 'preact/hooks';
import { ApiError } from '../api/client';
import type { KeyWithSecret } from '../api/types';
import { savedMessage, useApp } from '../app-context';
import { ErrorNotice, FormError } from '../ui/controls';
import { useLoad } from '../ui/use-load';
import { catalog } from './catalog';
import { emptyKeyForm, fieldOfParam, toKeyBody, type KeyForm } from './key-form-state';
import { KEY_FORM_FIELDS, KeyFormFields } from './key-form';
import type { FieldErrors } from './key-rules';
import { ShowOnce } from './show-once';

export function NewKeyPage() {
  const { api, can, notify } = useApp();
  const { data, error } = useLoad(() => catalog(api), []);
  const [form, setForm] = useState<KeyForm>(emptyKeyForm);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<KeyWithSecret | null>(null);

  if (!can.write) return <p class="notice">Your role cannot create keys.</p>;
  if (created) {
    const model = created.models?.find((m) => !m.includes('*')) ?? data?.models[0]?.name ?? 'your-model';
    return (
      <section>
        <h1>Key {created.name} created</h1>
        <ShowOnce secret={created.key} model={model} />
        <p>
          <a class="button primary" href={`#/keys/${created.id}`}>
            I have saved it — open the key
          </a>
        </p>
      </section>
    );
  }

  const submit = async (e: Event) => {
    e.preventDefault();
    const { body, errors: found } = toKeyBody(form, Date.now());
    setErrors(found);
    if (Object.keys(found).length) {
      document.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
      return;
    }
    setBusy(true);
    try {
      const res = await api.call<KeyWithSecret>('POST', '/keys', body);
      notify(savedMessage(`Key ${res.data.name} created`, res.pending));
      setCreated(res.data);
    } catch (err) {
      const e = err as ApiError;
      setErrors({ [fieldOfParam(e.param, KEY_FORM_FIELDS)]: e.message });
    } finally {
      setBusy(false);
    }
  };
  return (
    <section>
      <h1>Create a key</h1>
      <ErrorNotice error={error} />
      <form onSubmit={submit} class="card form" noValidate>
        <KeyFormFields
          form={form}
          set={(f) => setForm((old) => ({ ...old, ...f }))}
          errors={errors}
          models={data?.models ?? []}
          providers={data?.providers ?? []}
        />
        <FormError message={errors.form} />
        <div class="actions">
          <button type="submit" class="primary" disabled={busy}>
            Create key
          </button>
          <a href="#/keys">Cancel</a>
        </div>
      </form>
    </section>
  );
}
