import { useState } from 'preact/hooks';
import { useApp } from '../app-context';
import { CopyButton } from '../ui/copy';
import { snippets } from './snippets';

/** A new secret, shown this once: copy it, or paste a ready snippet. */
export function ShowOnce({ secret, model, title = 'Your new key' }: { secret: string; model: string; title?: string }) {
  const { gatewayUrl } = useApp();
  const all = snippets(gatewayUrl, secret, model);
  const [tab, setTab] = useState(all[0].id);
  const current = all.find((s) => s.id === tab)!;
  return (
    <section class="show-once" aria-labelledby="show-once-title">
      <h2 id="show-once-title">{title}</h2>
      <p class="notice warn" role="alert">
        Copy it now: <strong>you will not see this again.</strong> Sluice keeps only a hash of it.
      </p>
      <div class="field">
        <label for="new-secret">Secret</label>
        <div class="with-button">
          <input id="new-secret" readOnly value={secret} class="mono" onFocus={(e) => e.currentTarget.select()} />
          <CopyButton text={secret} label="Copy secret" />
        </div>
      </div>
      <div role="tablist" aria-label="Snippets" class="tabs">
        {all.map((s) => (
          <button
            key={s.id}
            type="button"
            role="tab"
            id={`tab-${s.id}`}
            aria-selected={s.id === tab}
            aria-controls="snippet-panel"
            onClick={() => setTab(s.id)}
          >
            {s.title}
          </button>
        ))}
      </div>
      <div role="tabpanel" id="snippet-panel" aria-labelledby={`tab-${tab}`}>
        <pre class="snippet" data-testid="snippet">
          {current.code}
        </pre>
        <CopyButton text={current.code} label={`Copy ${current.title} snippet`} />
      </div>
    </section>
  );
}
