import { useApp } from '../app-context';
import type { Model, Page, Provider } from '../api/types';
import { useLoad } from '../ui/use-load';
import { curlSnippet } from './snippets';

/** The empty state: what a new admin does first, in order, each step ticked once it is done. */
export function Onboarding() {
  const { api, can, gatewayUrl } = useApp();
  const { data } = useLoad(async () => {
    const [providers, models] = await Promise.all([
      api.get<Page<Provider>>('/providers'),
      api.get<Page<Model>>('/models'),
    ]);
    return { providers: providers.data.length, models: models.data };
  }, []);
  const steps = [
    {
      done: (data?.providers ?? 0) > 0,
      title: 'Add a provider',
      text: 'The real credential (OpenAI, Anthropic, Azure OpenAI, any OpenAI-compatible server, or the built-in mock). Its secret is encrypted and never shown again.',
      href: '#/providers',
      action: 'Go to providers',
    },
    {
      done: (data?.models.length ?? 0) > 0,
      title: 'Add a model',
      text: 'What clients send as `model`, the provider it routes to, and its price per million tokens.',
      href: '#/providers',
      action: 'Go to the model catalog',
    },
    {
      done: false,
      title: 'Create a virtual key',
      text: 'Its models, limits and budget. The secret is shown once.',
      href: '#/keys/new',
      action: 'Create a key',
    },
    { done: false, title: 'Make the first call', text: 'With the secret in SLUICE_KEY:', href: undefined, action: '' },
  ];
  return (
    <section class="card onboarding" aria-labelledby="onboarding-title">
      <h2 id="onboarding-title">Get started: provider → model → key → first call</h2>
      <ol>
        {steps.map((s) => (
          <li key={s.title} class={s.done ? 'done' : undefined}>
            <strong>
              {s.title}
              {s.done && <span class="badge ok"> done</span>}
            </strong>
            <p>{s.text}</p>
            {s.href && can.write && !s.done && <a href={s.href}>{s.action}</a>}
            {!s.href && (
              <pre class="snippet">{curlSnippet(gatewayUrl, '$SLUICE_KEY', data?.models[0]?.name ?? 'your-model')}</pre>
            )}
          </li>
        ))}
      </ol>
      {!can.write && <p class="hint">Your role is read-only: an owner or operator does these steps.</p>}
    </section>
  );
}
