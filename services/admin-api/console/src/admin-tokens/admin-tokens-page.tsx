import { useState } from 'preact/hooks';
import { ApiError } from '../api/client';
import type { AdminToken, Page, Role } from '../api/types';
import { savedMessage, useApp } from '../app-context';
import { when } from '../format';
import { CopyButton } from '../ui/copy';
import { ErrorNotice, FormActions, FormError, Select, TextField } from '../ui/controls';
import { Dialog } from '../ui/dialog';
import { useLoad } from '../ui/use-load';

const ROLES: [Role, string][] = [
  ['auditor', 'Auditor: reads everything, changes nothing'],
  ['operator', 'Operator: keys, providers and models'],
  ['owner', 'Owner: everything, including admin tokens'],
];

/** Who may administer: owners create and revoke tokens; auditors read the list. */
export function AdminTokensPage() {
  const { api, can, notify } = useApp();
  const { data, error, reload } = useLoad(() => api.get<Page<AdminToken>>('/admin-tokens'), []);
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<AdminToken | null>(null);
  const revoke = async (t: AdminToken) => {
    try {
      const res = await api.call('DELETE', `/admin-tokens/${encodeURIComponent(t.id)}`);
      notify(savedMessage(`Admin token ${t.name} revoked`, res.pending));
      setRevoking(null);
      void reload();
    } catch (err) {
      notify((err as Error).message);
    }
  };
  return (
    <section>
      <div class="page-head">
        <h1>Admin tokens</h1>
        {can.manageTokens && (
          <button type="button" class="primary" onClick={() => setCreating(true)}>
            Create admin token
          </button>
        )}
      </div>
      <ErrorNotice error={error} />
      <div class="table-wrap">
        <table data-testid="admin-tokens">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">Hint</th>
              <th scope="col">Created</th>
              <th scope="col">Revoked</th>
              {can.manageTokens && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {data?.data.map((t) => (
              <tr key={t.id}>
                <td>{t.name}</td>
                <td>{t.role}</td>
                <td class="mono">{t.tokenHint}</td>
                <td>{when(t.createdAt)}</td>
                <td>{t.revokedAt ? when(t.revokedAt) : '—'}</td>
                {can.manageTokens && (
                  <td>
                    {!t.revokedAt && (
                      <button
                        type="button"
                        class="danger"
                        onClick={() => setRevoking(t)}
                        aria-label={`Revoke ${t.name}`}
                      >
                        Revoke
                      </button>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {creating && (
        <CreateToken
          onClose={() => {
            setCreating(false);
            void reload();
          }}
        />
      )}
      {revoking && (
        <Dialog title={`Revoke ${revoking.name}`} onClose={() => setRevoking(null)}>
          <p>Its next call is refused, on every admin API replica.</p>
          <div class="actions">
            <button type="button" class="danger" onClick={() => revoke(revoking)}>
              Revoke token
            </button>
            <button type="button" onClick={() => setRevoking(null)}>
              Cancel
            </button>
          </div>
        </Dialog>
      )}
    </section>
  );
}

function CreateToken({ onClose }: { onClose: () => void }) {
  const { api, notify } = useApp();
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('auditor');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [token, setToken] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      const res = await api.call<AdminToken & { token: string }>('POST', '/admin-tokens', { name: name.trim(), role });
      notify(savedMessage(`Admin token ${res.data.name} created`, res.pending));
      setToken(res.data.token);
    } catch (err) {
      const e = err as ApiError;
      setErrors({
        [e.param === 'name' || e.param === 'role' ? e.param : e.code === 'ADMIN_TOKEN.NAME_TAKEN' ? 'name' : 'form']:
          e.message,
      });
    }
  };
  if (token) {
    return (
      <Dialog title={`Admin token ${name.trim()}`} onClose={onClose}>
        <p class="notice warn" role="alert">
          Copy it now: <strong>you will not see this again.</strong>
        </p>
        <div class="field">
          <label for="new-admin-token">Admin token</label>
          <div class="with-button">
            <input id="new-admin-token" class="mono" readOnly value={token} />
            <CopyButton text={token} label="Copy token" />
          </div>
        </div>
        <div class="actions">
          <button type="button" class="primary" onClick={onClose}>
            I have saved it
          </button>
        </div>
      </Dialog>
    );
  }
  return (
    <Dialog title="Create an admin token" onClose={onClose}>
      <form onSubmit={submit} class="form" noValidate>
        <TextField label="Token name" value={name} onValue={setName} error={errors.name} required />
        <Select label="Role" value={role} onValue={(v) => setRole(v as Role)} options={ROLES} error={errors.role} />
        <FormError message={errors.form} />
        <FormActions submit="Create token" onCancel={onClose} />
      </form>
    </Dialog>
  );
}
