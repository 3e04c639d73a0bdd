import {
  budgetSinceAfter,
  type BudgetSettings,
  type BudgetSince,
  type KeySettingsChange,
  type RateLimits,
  type SluiceEvent,
} from '@sluice/contracts';
import { compileAllowList } from './glob';
import { compileIpAllowlist } from './ip-allowlist';

export interface KeyPolicy {
  keyId: string;
  /** The admin's name for the key: the `key_name` label of its metrics. */
  name: string;
  status: 'active' | 'disabled' | 'revoked';
  allowsModel: ((name: string) => boolean) | null;
  operations: ReadonlySet<string> | null;
  allowsIp: ((ip: string) => boolean) | null;
  providerIds: ReadonlySet<string> | null;
  /** Epoch ms; the key is expired from this instant on. */
  expiresAt: number | null;
  keyHash: string;
  /** The secret before the last regeneration, working while `now < until` (epoch ms). */
  previous: { hash: string; until: number } | null;
  /** Epoch ms; budget periods are anchored here. */
  createdAt: number;
  rateLimits: RateLimits | null;
  budget: BudgetSettings | null;
  /** When the budget began counting (see budgetCountStart); null without a budget. */
  budgetSince: BudgetSince | null;
  /** The lists as the admin wrote them (null = all), for explaining the key's policy. */
  lists: {
    models: string[] | null;
    operations: string[] | null;
    ipAllowlist: string[] | null;
    providerIds: string[] | null;
  };
}

/**
 * Every key's policy, in memory, looked up by the hash of its secret; fed by key events. Time is
 * never read here: a regenerated key's previous secret is checked against the `now` of each call,
 * so it stops at its deadline without waiting for an event.
 */
export class KeyTable {
  readonly #byHash = new Map<string, KeyPolicy>();
  readonly #byPreviousHash = new Map<string, KeyPolicy>();
  readonly #byId = new Map<string, KeyPolicy>();
  /** Secrets replaced by a regeneration, and when they stopped working. */
  readonly #retired = new Map<string, number>();

  all(): Iterable<KeyPolicy> {
    return this.#byId.values();
  }

  byId(keyId: string): KeyPolicy | undefined {
    return this.#byId.get(keyId);
  }

  /** The key this secret opens at `now`: its current secret, or its previous one within the grace period. */
  byHash(hash: string, now: number): KeyPolicy | undefined {
    const current = this.#byHash.get(hash);
    if (current) return current;
    const graced = this.#byPreviousHash.get(hash);
    if (graced && graced.previous?.hash === hash && now < graced.previous.until) return graced;
    return undefined;
  }

  /** When a secret that opens nothing any more stopped working, if it was replaced by a regeneration. */
  retiredAt(hash: string): number | undefined {
    const graced = this.#byPreviousHash.get(hash);
    if (graced?.previous?.hash === hash) return graced.previous.until;
    return this.#retired.get(hash);
  }

  apply(event: SluiceEvent): void {
    switch (event.type) {
      case 'KeyCreated': {
        const d = event.data;
        const policy: KeyPolicy = {
          keyId: d.keyId,
          name: d.name,
          status: 'active',
          allowsModel: null,
          operations: null,
          allowsIp: null,
          providerIds: null,
          expiresAt: null,
          keyHash: d.keyHash,
          previous: null,
          createdAt: Date.parse(d.createdAt),
          rateLimits: null,
          budget: null,
          budgetSince: null,
          lists: { models: null, operations: null, ipAllowlist: null, providerIds: null },
        };
        applySettings(policy, d, policy.createdAt);
        this.#byHash.set(d.keyHash, policy);
        this.#byId.set(d.keyId, policy);
        return;
      }
      case 'KeyUpdated': {
        const policy = this.#byId.get(event.data.keyId);
        if (policy) applySettings(policy, event.data.after, Date.parse(event.data.updatedAt));
        return;
      }
      case 'KeyRegenerated':
        this.#regenerate(event.data);
        return;
      case 'KeyDisabled':
        this.#setStatus(event.data.keyId, 'active', 'disabled');
        return;
      case 'KeyEnabled':
        this.#setStatus(event.data.keyId, 'disabled', 'active');
        return;
      case 'KeyRevoked': {
        const policy = this.#byId.get(event.data.keyId);
        if (policy) policy.status = 'revoked';
        return;
      }
      default:
        return;
    }
  }

  #regenerate(d: Extract<SluiceEvent, { type: 'KeyRegenerated' }>['data']): void {
    const policy = this.#byId.get(d.keyId);
    if (!policy) return;
    const regeneratedAt = Date.parse(d.regeneratedAt);
    // One previous secret at a time: a second regeneration ends the grace of the one before.
    if (policy.previous) {
      this.#retired.set(policy.previous.hash, Math.min(policy.previous.until, regeneratedAt));
      this.#byPreviousHash.delete(policy.previous.hash);
    }
    this.#byHash.delete(d.previousKeyHash);
    this.#byHash.delete(policy.keyHash);
    this.#byHash.set(d.keyHash, policy);
    policy.keyHash = d.keyHash;
    const until = d.previousKeyExpiresAt === null ? regeneratedAt : Date.parse(d.previousKeyExpiresAt);
    if (until > regeneratedAt) {
      policy.previous = { hash: d.previousKeyHash, until };
      this.#byPreviousHash.set(d.previousKeyHash, policy);
    } else {
      policy.previous = null;
      this.#retired.set(d.previousKeyHash, regeneratedAt);
    }
  }

  #setStatus(keyId: string, from: KeyPolicy['status'], to: KeyPolicy['status']): void {
    const policy = this.#byId.get(keyId);
    if (policy?.status === from) policy.status = to;
  }
}

/** Applies the settings present in a creation or a change (made at `at`); absent ones stay as they are. */
function applySettings(policy: KeyPolicy, s: KeySettingsChange, at: number): void {
  if (s.name !== undefined) policy.name = s.name;
  for (const list of ['models', 'operations', 'ipAllowlist', 'providerIds'] as const)
    if (s[list] !== undefined) policy.lists[list] = s[list] ?? null;
  if (s.models !== undefined) policy.allowsModel = compileAllowList(s.models);
  if (s.operations !== undefined) policy.operations = s.operations ? new Set(s.operations) : null;
  if (s.ipAllowlist !== undefined) policy.allowsIp = compileIpAllowlist(s.ipAllowlist);
  if (s.providerIds !== undefined) policy.providerIds = s.providerIds ? new Set(s.providerIds) : null;
  if (s.expiresAt !== undefined) policy.expiresAt = s.expiresAt ? Date.parse(s.expiresAt) : null;
  if (s.rateLimits !== undefined)
    policy.rateLimits = s.rateLimits && Object.keys(s.rateLimits).length > 0 ? s.rateLimits : null;
  if (s.budget !== undefined) {
    const before =
      policy.budget && policy.budgetSince ? { period: policy.budget.period, since: policy.budgetSince } : null;
    policy.budgetSince = budgetSinceAfter(policy.createdAt, before, s.budget, at);
    policy.budget = s.budget;
  }
}
