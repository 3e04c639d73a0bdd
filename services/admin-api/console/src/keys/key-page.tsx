import { useState } from 'preact/hooks';
import type { AuditEvent, Key, Page, RequestRecord } from '../api/types';
import { savedMessage, useApp } from '../app-context';
import { describeEvent } from '../audit/describe';
import { count, relative, usd, when } from '../format';
import { ErrorNotice } from '../ui/controls';
import { useLoad } from '../ui/use-load';
import { catalog } from './catalog';
import { DeleteDialog, EditKeyDialog, RegenerateDialog } from './key-actions';
import { PolicyPanel } from './policy-panel';
import { SimulateForm } from './simulate-form';
import { UsageChart } from './usage-chart';

type Open = 'edit' | 'regenerate' | 'delete' | null;

export function KeyPage({ id }: { id: string }) {
  const { api, can, notify } = useApp();
  const [refresh, setRefresh] = useState(0);
  const [open, setOpen] = useState<Open>(null);
  const path = `/keys/${encodeURIComponent(id)}`;
  const key = useLoad(() => api.get<Key>(path), [id, refresh]);
  const cat = useLoad(() => catalog(api), []);
  const requests = useLoad(() => api.get<Page<RequestRecord>>('/requests', { keyId: id, limit: 20 }), [id, refresh]);
  const audit = useLoad(() => api.get<Page<AuditEvent>>('/audit/events', { keyId: id, limit: 100 }), [id, refresh]);
  const k = key.data;
  const changed = () => {
    setOpen(null);
    setRefresh((n) => n + 1);
  };
  const toggle = async () => {
    try {
      const res = await api.call<Key>('POST', `${path}/${k!.status === 'disabled' ? 'enable' : 'disable'}`);
      notify(savedMessage(`Key ${res.data.status === 'disabled' ? 'disabled' : 'enabled'}`, res.pending));
      changed();
    } catch (err) {
      notify((err as Error).message);
    }
  };
  const now = Date.now();
  if (key.error && !k) return <ErrorNotice error={key.error} />;
  if (!k) return <p class="loading">Loading…</p>;
  const models = cat.data?.models ?? [];
  const firstModel = k.models?.find((m) => !m.includes('*')) ?? models[0]?.name ?? 'your-model';
  const live = k.status !== 'revoked';
  return (
    <section>
      <p class="crumbs">
        <a href="#/keys">Keys</a> / {k.name}
      </p>
      <div class="page-head">
        <h1>
          {k.name} <span class={`status status-${k.status}`}>{k.status}</span>
        </h1>
        {can.write && live && (
          <fieldset class="actions" aria-label="Key actions">
            <button type="button" onClick={() => setOpen('edit')}>
              Edit
            </button>
            <button type="button" onClick={() => setOpen('regenerate')}>
              Regenerate
            </button>
            <button type="button" onClick={toggle}>
              {k.status === 'disabled' ? 'Enable' : 'Disable'}
            </button>
            <button type="button" class="danger" onClick={() => setOpen('delete')}>
              Delete
            </button>
          </fieldset>
        )}
      </div>
      <dl class="facts">
        <div>
          <dt>Id</dt>
          <dd class="mono">{k.id}</dd>
        </div>
        <div>
          <dt>Secret</dt>
          <dd class="mono">{k.keyHint}</dd>
        </div>
        {k.description && (
          <div>
            <dt>Description</dt>
            <dd>{k.description}</dd>
          </div>
        )}
        <div>
          <dt>Created</dt>
          <dd>{when(k.createdAt)}</dd>
        </div>
        <div>
          <dt>Last used</dt>
          <dd>{relative(k.lastUsedAt, now)}</dd>
        </div>
        <div>
          <dt>Expires</dt>
          <dd>{k.expiresAt ? when(k.expiresAt) : 'never'}</dd>
        </div>
        {k.previousKeyExpiresAt && (
          <div>
            <dt>Previous secret works until</dt>
            <dd>{when(k.previousKeyExpiresAt)}</dd>
          </div>
        )}
        <div>
          <dt>Lifetime spend</dt>
          <dd>
            {usd(k.usage.spendUsd)} over {count(k.usage.requests)} requests
          </dd>
        </div>
      </dl>

      <UsageChart keyId={k.id} refresh={refresh} />

      <section aria-labelledby="requests-title">
        <div class="page-head">
          <h2 id="requests-title">Latest requests</h2>
          <button type="button" onClick={() => setRefresh((n) => n + 1)}>
            Refresh
          </button>
        </div>
        <ErrorNotice error={requests.error} />
        {requests.data && requests.data.data.length === 0 ? (
          <p class="empty">No calls yet.</p>
        ) : (
          <div class="table-wrap">
            <table data-testid="requests">
              <thead>
                <tr>
                  <th scope="col">Started (UTC)</th>
                  <th scope="col">Status</th>
                  <th scope="col">Model</th>
                  <th scope="col">Operation</th>
                  <th scope="col" class="num">
                    Tokens in / out
                  </th>
                  <th scope="col" class="num">
                    Cost
                  </th>
                  <th scope="col" class="num">
                    Latency
                  </th>
                </tr>
              </thead>
              <tbody>
                {requests.data?.data.map((r) => (
                  <tr key={r.requestId}>
                    <td title={r.requestId}>{when(r.startedAt)}</td>
                    <td>
                      <span class={r.status < 400 ? 'status status-active' : 'status status-revoked'}>{r.status}</span>
                    </td>
                    <td>{r.model}</td>
                    <td>
                      {r.operation}
                      {r.stream ? ' (stream)' : ''}
                    </td>
                    <td class="num">
                      {count(r.inputTokens)} / {count(r.outputTokens)}
                      {r.estimated ? ' (estimated)' : ''}
                    </td>
                    <td class="num">{usd(r.costUsd)}</td>
                    <td class="num">{count(r.latencyMs)} ms</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <p class="hint">
          Calls refused by a rule never reach a provider and are not in this list; the simulator below explains them.
        </p>
      </section>

      <PolicyPanel keyId={k.id} refresh={refresh} />
      <SimulateForm keyId={k.id} models={models} />

      <section aria-labelledby="timeline-title">
        <h2 id="timeline-title">Audit timeline</h2>
        <ErrorNotice error={audit.error} />
        <ol class="timeline" data-testid="timeline">
          {audit.data?.data
            .slice()
            .reverse()
            .map((e) => (
              <li key={e.eventId}>
                <time dateTime={e.recordedAt}>{when(e.recordedAt)}</time> <strong>{e.type}</strong> by{' '}
                {String(e.metadata?.actor ?? 'unknown')} <span class="hint">{describeEvent(e)}</span>
              </li>
            ))}
        </ol>
        <p>
          <a href={`#/audit?keyId=${encodeURIComponent(k.id)}`}>All of this key's events in the audit trail</a>
        </p>
      </section>

      {open === 'edit' && (
        <EditKeyDialog
          k={k}
          models={models}
          providers={cat.data?.providers ?? []}
          onClose={() => setOpen(null)}
          onDone={changed}
        />
      )}
      {open === 'regenerate' && (
        <RegenerateDialog k={k} model={firstModel} onClose={() => setOpen(null)} onDone={changed} />
      )}
      {open === 'delete' && <DeleteDialog k={k} onClose={() => setOpen(null)} onDone={changed} />}
    </section>
  );
}
