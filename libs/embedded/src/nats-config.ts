/** What one NATS user may do: subjects it may publish to and subscribe to (nothing else). */
export interface NatsPermissions {
  publish: { allow: readonly string[]; deny?: readonly string[] };
  subscribe: { allow: readonly string[] };
  /**
   * Whether it may answer requests it received (publish to their reply subjects, whatever they
   * are): `true` for one answer per request, or at most `max` answers within `expires`.
   */
  responses?: true | { max: number; expires: string };
}

export interface NatsUser {
  user: string;
  /** The password, or a reference to an environment variable of the server (`$NAME`) in a config for deploy/. */
  password: string;
  permissions: NatsPermissions;
}

/** One user as nats-server's configuration spells it. */
export function natsUserConfig({ user, password, permissions: p }: NatsUser) {
  return {
    user,
    password,
    permissions: {
      publish: p.publish.deny?.length ? { allow: p.publish.allow, deny: p.publish.deny } : { allow: p.publish.allow },
      subscribe: { allow: p.subscribe.allow },
      ...(p.responses ? { allow_responses: p.responses } : {}),
    },
  };
}

/**
 * nats-server's configuration for what the command line cannot say: the largest message, and the
 * users with their permissions (with users, a client without a valid user and password is refused).
 */
export function renderNatsConfig(opts: { maxPayload?: number; users?: readonly NatsUser[] }): string {
  const lines: string[] = [];
  if (opts.maxPayload !== undefined) lines.push(`max_payload: ${opts.maxPayload}`);
  if (opts.users?.length) {
    const users = JSON.stringify({ users: opts.users.map(natsUserConfig) }, null, 2);
    // The config format reads JSON; a password `$NAME` is the server's environment variable only unquoted.
    lines.push(`authorization: ${users.replace(/"password": "(\$[A-Z][A-Z0-9_]*)"/g, '"password": $1')}`);
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}
