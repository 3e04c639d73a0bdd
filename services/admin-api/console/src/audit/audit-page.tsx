import { useEffect, useState } from 'preact/hooks';
import type { AuditEvent, AuditVerification, Page } from '../api/types';
import { useApp } from '../app-context';
import { count, when } from '../format';
import { ErrorNotice, TextField } from '../ui/controls';
import { describeEvent } from './describe';
import { download, exportAudit, type ExportProgress } from './export';

interface Filters {
  keyId: string;
  type: string;
  actor: string;
  from: string;
  to: string;
}

const initialFilters = (): Filters => {
  const params = new URLSearchParams(location.hash.split('?')[1] ?? '');
  return {
    keyId: params.get('keyId') ?? '',
    type: params.get('type') ?? '',
    actor: params.get('actor') ?? '',
    from: '',
    to: '',
  };
};

/** datetime-local inputs read as UTC, as every time in the console is shown. */
const instant = (local: string) => (local ? `${local.length === 16 ? `${local}:00` : local}Z` : undefined);
const query = (f: Filters) => ({
  keyId: f.keyId.trim() || undefined,
  type: f.type.trim() || undefined,
  actor: f.actor.trim() || undefined,
  from: instant(f.from),
  to: instant(f.to),
});

export function AuditPage() {
  const { api, can } = useApp();
  const [filters, setFilters] = useState<Filters>(initialFilters);
  const [events, setEvents] = useState<AuditEvent[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<Error>();
  const [progress, setProgress] = useState<ExportProgress | null>(null);
  const [verification, setVerification] = useState<AuditVerification | null>(null);
  const [verifying, setVerifying] = useState(false);
  const set = (patch: Partial<Filters>) => setFilters((f) => ({ ...f, ...patch }));

  const load = async (cursor?: string) => {
    setError(undefined);
    try {
      const page = await api.get<Page<AuditEvent>>('/audit/events', { ...query(filters), cursor, limit: 100 });
      setEvents((old) => (cursor && old ? [...old, ...page.data] : page.data));
      setNext(page.nextCursor ?? null);
    } catch (err) {
      setError(err as Error);
    }
  };
  const runExport = async (format: 'ndjson' | 'csv') => {
    setError(undefined);
    setProgress({ bytes: 0, lines: 0, done: false });
    try {
      const { file, name } = await exportAudit(api, format, query(filters), setProgress);
      download(file, name);
    } catch (err) {
      setError(err as Error);
      setProgress(null);
    }
  };
  const verify = async () => {
    setVerifying(true);
    try {
      setVerification(await api.get<AuditVerification>('/audit/verify'));
    } catch (err) {
      setError(err as Error);
    } finally {
      setVerifying(false);
    }
  };
  useEffect(() => {
    void load();
  }, []);

  return (
    <section>
      <h1>Audit trail</h1>
      <search aria-label="Audit filters">
        <form
          class="filters card"
          onSubmit={(e) => {
            e.preventDefault();
            void load();
          }}
        >
          <TextField label="Key id" value={filters.keyId} onValue={(keyId) => set({ keyId })} placeholder="key_…" />
          <TextField
            label="Event type"
            value={filters.type}
            onValue={(type) => set({ type })}
            placeholder="KeyRevoked"
            list="event-types"
          />
          <datalist id="event-types">
            {TYPES.map((t) => (
              <option key={t} value={t} />
            ))}
          </datalist>
          <TextField
            label="Actor"
            value={filters.actor}
            onValue={(actor) => set({ actor })}
            placeholder="env-owner, admin-token:adm_…"
          />
          <TextField label="From (UTC)" type="datetime-local" value={filters.from} onValue={(from) => set({ from })} />
          <TextField label="To (UTC)" type="datetime-local" value={filters.to} onValue={(to) => set({ to })} />
          <button type="submit" class="primary">
            Apply filters
          </button>
        </form>
      </search>
      <div class="actions">
        <button type="button" onClick={() => runExport('ndjson')} disabled={progress !== null && !progress.done}>
          Export NDJSON
        </button>
        <button type="button" onClick={() => runExport('csv')} disabled={progress !== null && !progress.done}>
          Export CSV
        </button>
        {can.verifyAudit && (
          <button type="button" onClick={verify} disabled={verifying}>
            Verify the chain
          </button>
        )}
      </div>
      {progress && (
        <p role="status" data-testid="export-progress">
          <progress
            aria-label="Export progress"
            max={progress.done ? 1 : undefined}
            value={progress.done ? 1 : undefined}
          />{' '}
          {progress.done ? 'Export complete: ' : 'Exporting… '}
          {count(progress.lines)} lines, {(progress.bytes / 1024).toFixed(1)} KB
        </p>
      )}
      {verification && (
        <p class={`notice ${verification.ok ? 'ok' : 'error'}`} role="status" data-testid="verification">
          {verification.ok
            ? `The chain is intact: ${count(verification.checked)} events checked${verification.head ? `, head #${verification.head.seq}` : ''}.`
            : `The chain is broken at event #${verification.firstBreak?.seq} (position ${verification.firstBreak?.position}): ${verification.firstBreak?.reason}.`}
        </p>
      )}
      <ErrorNotice error={error} />
      <div class="table-wrap">
        <table data-testid="audit-events">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Recorded (UTC)</th>
              <th scope="col">Type</th>
              <th scope="col">Stream</th>
              <th scope="col">Actor</th>
              <th scope="col">What</th>
            </tr>
          </thead>
          <tbody>
            {events?.length === 0 && (
              <tr>
                <td colSpan={6} class="empty">
                  No event matches.
                </td>
              </tr>
            )}
            {events?.map((e) => (
              <tr key={e.eventId}>
                <td>{String(e.seq)}</td>
                <td>{when(e.recordedAt)}</td>
                <td>{e.type}</td>
                <td class="mono">{e.streamId}</td>
                <td class="mono">{String(e.metadata?.actor ?? '')}</td>
                <td>{describeEvent(e)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {next && (
        <button type="button" onClick={() => load(next)}>
          Load more
        </button>
      )}
    </section>
  );
}

const TYPES = [
  'KeyCreated',
  'KeyUpdated',
  'KeyRegenerated',
  'KeyDisabled',
  'KeyEnabled',
  'KeyRevoked',
  'KeyBudgetReset',
  'KeyBudgetThresholdReached',
  'ProviderAdded',
  'ProviderUpdated',
  'ProviderSecretRotated',
  'ProviderSecretRewrapped',
  'ProviderRemoved',
  'ModelAdded',
  'ModelRemoved',
  'AdminTokenCreated',
  'AdminTokenRevoked',
  'AdminAccessDenied',
];
