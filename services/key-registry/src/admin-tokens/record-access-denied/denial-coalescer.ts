import type { AccessDeniedReason } from '@sluice/contracts';

export interface DeniedAttempt {
  actor: string;
  method: string;
  path: string;
  reason: AccessDeniedReason;
  clientIp: string;
}

export interface DenialRecord extends DeniedAttempt {
  at: string;
  /** Set on a summary: how many denials it stands for. */
  coalesced?: number;
}

interface Window {
  openedAt: number;
  suppressed: number;
  last: DenialRecord | null;
}

/**
 * Keeps a flood of denied admin calls from flooding the log: per actor and reason, the first
 * denial of a window is recorded as it happens; the rest of that window become one summary
 * (`coalesced: n`) when the window ends. At most two events per actor, reason and window.
 */
export class DenialCoalescer {
  readonly #windows = new Map<string, Window>();
  readonly #summaries: DenialRecord[] = [];

  constructor(readonly windowMs = 1000) {}

  /** 'record': append this denial now; 'coalesced': it is counted into its window's summary. */
  offer(attempt: DeniedAttempt, now: Date): 'record' | 'coalesced' {
    const key = `${attempt.actor}\u0000${attempt.reason}`;
    const window = this.#windows.get(key);
    if (window && now.getTime() - window.openedAt < this.windowMs) {
      window.suppressed++;
      window.last = { ...attempt, at: now.toISOString() };
      return 'coalesced';
    }
    if (window) this.#close(window);
    this.#windows.set(key, { openedAt: now.getTime(), suppressed: 0, last: null });
    return 'record';
  }

  /** The summaries of every window that has ended by `now`; ended windows are forgotten. */
  due(now: Date): DenialRecord[] {
    for (const [key, window] of this.#windows) {
      if (now.getTime() - window.openedAt < this.windowMs) continue;
      this.#close(window);
      this.#windows.delete(key);
    }
    return this.#summaries.splice(0);
  }

  /** True while some window holds denials that are not recorded yet. */
  get pending(): boolean {
    return this.#summaries.length > 0 || [...this.#windows.values()].some((w) => w.suppressed > 0);
  }

  #close(window: Window): void {
    if (window.suppressed > 0 && window.last) this.#summaries.push({ ...window.last, coalesced: window.suppressed });
  }
}
