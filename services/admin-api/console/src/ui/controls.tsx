import type { ComponentChildren, InputHTMLAttributes } from 'preact';
import { useId } from 'preact/hooks';

interface FieldProps {
  label: string;
  error?: string;
  hint?: ComponentChildren;
}

function Described({ id, error, hint }: { id: string; error?: string; hint?: ComponentChildren }) {
  return (
    <>
      {hint && (
        <small id={`${id}-hint`} class="hint">
          {hint}
        </small>
      )}
      {error && (
        <small id={`${id}-error`} class="field-error" role="alert">
          {error}
        </small>
      )}
    </>
  );
}

const describedBy = (id: string, error?: string, hint?: unknown) =>
  [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;

type InputProps = FieldProps & {
  value: string;
  onValue: (v: string) => void;
  type?: 'text' | 'password' | 'search' | 'url' | 'datetime-local';
  placeholder?: string;
  required?: boolean;
  disabled?: boolean;
  maxLength?: number;
  inputMode?: 'text' | 'numeric' | 'decimal';
  autocomplete?: string;
  spellcheck?: boolean;
  autoFocus?: boolean;
  /** The id of a <datalist> of suggestions. */
  list?: string;
};

export function TextField({ label, error, hint, value, onValue, ...rest }: InputProps) {
  const id = useId();
  return (
    <div class={`field${error ? ' invalid' : ''}`}>
      <label for={id}>{label}</label>
      <input {...inputAttributes(id, value, onValue, error, hint, rest)} />
      <Described id={id} error={error} hint={hint} />
    </div>
  );
}

export function TextArea({
  label,
  error,
  hint,
  value,
  onValue,
  rows = 3,
  ...rest
}: FieldProps & {
  value: string;
  onValue: (v: string) => void;
  rows?: number;
  placeholder?: string;
  readOnly?: boolean;
}) {
  const id = useId();
  return (
    <div class={`field${error ? ' invalid' : ''}`}>
      <label for={id}>{label}</label>
      <textarea
        id={id}
        rows={rows}
        value={value}
        onInput={(e) => onValue(e.currentTarget.value)}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={describedBy(id, error, hint)}
        {...rest}
      />
      <Described id={id} error={error} hint={hint} />
    </div>
  );
}

export function Select({
  label,
  error,
  hint,
  value,
  onValue,
  options,
  ...rest
}: FieldProps & {
  value: string;
  onValue: (v: string) => void;
  options: [string, string][];
  required?: boolean;
  disabled?: boolean;
}) {
  const id = useId();
  return (
    <div class={`field${error ? ' invalid' : ''}`}>
      <label for={id}>{label}</label>
      <select
        id={id}
        value={value}
        onChange={(e) => onValue(e.currentTarget.value)}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={describedBy(id, error, hint)}
        {...rest}
      >
        {options.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
      <Described id={id} error={error} hint={hint} />
    </div>
  );
}

export function Checkbox({
  label,
  checked,
  onChecked,
  disabled,
}: {
  label: string;
  checked: boolean;
  onChecked: (v: boolean) => void;
  disabled?: boolean;
}) {
  return (
    <label class="check">
      <input
        type="checkbox"
        checked={checked}
        disabled={disabled}
        onChange={(e) => onChecked(e.currentTarget.checked)}
      />{' '}
      {label}
    </label>
  );
}

/** A group of related controls with a visible legend (and its error). */
export function Group({ legend, error, children }: { legend: string; error?: string; children: ComponentChildren }) {
  const id = useId();
  return (
    <fieldset class={error ? 'invalid' : undefined} aria-describedby={error ? `${id}-error` : undefined}>
      <legend>{legend}</legend>
      {children}
      {error && (
        <small id={`${id}-error`} class="field-error" role="alert">
          {error}
        </small>
      )}
    </fieldset>
  );
}

/** A bar with its numbers in words, so it reads the same to a screen reader. */
export function Bar({ value, label, warn }: { value: number; label: string; warn?: boolean }) {
  const pct = Math.min(100, Math.round(value * 100));
  return (
    <meter
      class={`bar${warn || value >= 1 ? ' bar-warn' : ''}`}
      min={0}
      max={100}
      value={pct}
      aria-label={label}
      title={label}
    />
  );
}

export function ErrorNotice({ error }: { error: Error | undefined }) {
  if (!error) return null;
  return (
    <p class="notice error" role="alert">
      {error.message}
    </p>
  );
}

/** Preact's input types split by `type`; one text-like input is all the console needs. */
function inputAttributes(
  id: string,
  value: string,
  onValue: (v: string) => void,
  error: string | undefined,
  hint: unknown,
  rest: Omit<InputProps, 'label' | 'error' | 'hint' | 'value' | 'onValue'>,
) {
  return {
    id,
    value,
    onInput: (e: Event) => onValue((e.currentTarget as HTMLInputElement).value),
    'aria-invalid': error ? 'true' : undefined,
    'aria-describedby': describedBy(id, error, hint),
    ...rest,
    type: rest.type ?? 'text',
  } as unknown as InputHTMLAttributes<HTMLInputElement>;
}

/** A form-wide error (one the API did not tie to a field). */
export function FormError({ message }: { message: string | undefined }) {
  return message ? (
    <p class="notice error" role="alert">
      {message}
    </p>
  ) : null;
}

/** A dialog form's two buttons: do it, or cancel. */
export function FormActions({
  submit,
  kind = 'primary',
  disabled,
  onCancel,
}: {
  submit: string;
  kind?: 'primary' | 'danger';
  disabled?: boolean;
  onCancel: () => void;
}) {
  return (
    <div class="actions">
      <button type="submit" class={kind} disabled={disabled}>
        {submit}
      </button>
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
    </div>
  );
}
