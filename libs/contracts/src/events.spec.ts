import { auditEventData, parseEvent, upcastEvent } from './events';
import { normalizeBudget, webhookUrlHint } from './limits';

const SLACK = 'https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXabcd';
const created = (budget: unknown) => ({
  keyId: 'key_1',
  keyHash: 'h',
  keyHint: 'sk-sluice-…',
  createdAt: '2026-11-24T00:00:00.000Z',
  name: 'k',
  description: null,
  models: null,
  operations: null,
  expiresAt: null,
  metadata: {},
  budget,
});

describe('webhook URLs in events', () => {
  it('shows a webhook URL as its scheme, host and at most the last 4 characters of a long rest', () => {
    expect(webhookUrlHint(SLACK)).toBe('https://hooks.slack.com/…abcd');
    expect(webhookUrlHint('https://example.com/h?t=1234')).toBe('https://example.com/…');
    expect(webhookUrlHint('http://127.0.0.1:9000/')).toBe('http://127.0.0.1:9000');
    expect(normalizeBudget({ maxUsd: 1, webhookUrl: SLACK })).toEqual({
      maxUsd: 1,
      period: null,
      alertThresholds: [50, 80, 100],
      webhookUrlHint: 'https://hooks.slack.com/…abcd',
    });
  });

  it('reads a version 1 event that carried the URL as its hint, wherever it is read', () => {
    const v1 = {
      type: 'KeyCreated',
      schemaVersion: 1,
      data: created({ maxUsd: 1, period: null, alertThresholds: [50], webhookUrl: SLACK }),
    };
    const parsed = parseEvent(v1);
    expect(parsed?.type === 'KeyCreated' && parsed.data.budget).toEqual({
      maxUsd: 1,
      period: null,
      alertThresholds: [50],
      webhookUrlHint: 'https://hooks.slack.com/…abcd',
    });
    expect(JSON.stringify(upcastEvent(v1))).not.toContain('XXXXXXXX');
    expect(upcastEvent(v1).schemaVersion).toBe(2);
    const updated = {
      type: 'KeyUpdated',
      schemaVersion: 1,
      data: {
        keyId: 'key_1',
        before: { budget: null },
        after: { budget: { maxUsd: 1, period: null, alertThresholds: [], webhookUrl: SLACK } },
        updatedAt: '2026-11-24T00:00:00.000Z',
      },
    };
    expect(JSON.stringify(parseEvent(updated))).not.toContain('XXXXXXXX');
  });

  it('flags in the audit trail only the stored events it had to change', () => {
    const withUrl = auditEventData(
      'KeyCreated',
      1,
      created({ maxUsd: 1, period: null, alertThresholds: [], webhookUrl: SLACK }),
    );
    expect(withUrl.redacted).toBe(true);
    expect(JSON.stringify(withUrl.data)).not.toContain('XXXXXXXX');
    const without = created({ maxUsd: 1, period: null, alertThresholds: [], webhookUrl: null });
    expect(auditEventData('KeyCreated', 1, without)).toEqual({ data: without, redacted: false });
  });
});
