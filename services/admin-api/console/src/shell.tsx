import { useApp } from './app-context';
import { AdminTokensPage } from './admin-tokens/admin-tokens-page';
import { AuditPage } from './audit/audit-page';
import { KeyPage } from './keys/key-page';
import { KeysPage } from './keys/keys-page';
import { NewKeyPage } from './keys/new-key-page';
import { Overview } from './overview/overview';
import { ProvidersPage } from './providers/providers-page';
import { useRoute } from './router';

/** The frame every page sits in: who is signed in, the navigation, the status line. */
export function Shell({ message, onSignOut }: { message: string; onSignOut: () => void }) {
  const { me, can } = useApp();
  const [section, id] = useRoute();
  const links: [string, string][] = [
    ['', 'Overview'],
    ['keys', 'Keys'],
    ['providers', 'Providers and models'],
    ['audit', 'Audit'],
    ...(can.seeTokens ? ([['admin-tokens', 'Admin tokens']] as [string, string][]) : []),
  ];
  const current = section ?? '';
  return (
    <>
      {/* A button, not a link to #main: the hash is the router's, so this moves focus itself. */}
      <button type="button" class="skip" onClick={() => document.getElementById('main')?.focus()}>
        Skip to content
      </button>
      <header class="top">
        <span class="brand">Sluice</span>
        <nav aria-label="Console">
          {links.map(([path, text]) => (
            <a key={path} href={`#/${path}`} aria-current={current === path ? 'page' : undefined}>
              {text}
            </a>
          ))}
        </nav>
        <span class="who">
          Signed in as <strong data-testid="role">{me.role}</strong>
          <span class="actor"> ({me.name ?? me.actor})</span>
          {me.role === 'auditor' && <span class="badge">read-only</span>}
        </span>
        <button type="button" class="ghost" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <p class="status-line" role="status" aria-live="polite">
        {message}
      </p>
      <main id="main" tabIndex={-1}>
        {page(current, id, can.seeTokens)}
      </main>
    </>
  );
}

function page(section: string, id: string | undefined, seeTokens: boolean) {
  switch (section) {
    case '':
      return <Overview />;
    case 'keys':
      if (id === 'new') return <NewKeyPage />;
      return id ? <KeyPage id={id} /> : <KeysPage />;
    case 'providers':
      return <ProvidersPage />;
    case 'audit':
      return <AuditPage />;
    case 'admin-tokens':
      if (seeTokens) return <AdminTokensPage />;
  }
  return (
    <section>
      <h1>Not found</h1>
      <p>
        There is no such page. <a href="#/">Back to the overview</a>
      </p>
    </section>
  );
}
