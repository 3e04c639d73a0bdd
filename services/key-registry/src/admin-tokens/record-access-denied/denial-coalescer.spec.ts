import { DenialCoalescer, type DeniedAttempt } from './denial-coalescer';

const T0 = new Date('2026-11-24T12:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const wrongToken: DeniedAttempt = {
  actor: 'anonymous',
  method: 'GET',
  path: '/admin/v1/keys',
  reason: 'invalid_token',
  clientIp: '203.0.113.7',
};

describe('coalescing denied admin calls', () => {
  it('records the first denial at once and folds the rest of the second into one summary', () => {
    const coalescer = new DenialCoalescer(1000);
    expect(coalescer.offer(wrongToken, at(0))).toBe('record');
    for (let i = 1; i <= 499; i++)
      expect(coalescer.offer({ ...wrongToken, clientIp: `203.0.113.${i % 250}` }, at(i))).toBe('coalesced');
    expect(coalescer.due(at(999))).toEqual([]);
    expect(coalescer.due(at(1000))).toEqual([
      { ...wrongToken, clientIp: '203.0.113.249', at: at(499).toISOString(), coalesced: 499 },
    ]);
    expect(coalescer.pending).toBe(false);
  });

  it('keeps actors and reasons apart', () => {
    const coalescer = new DenialCoalescer(1000);
    expect(coalescer.offer(wrongToken, at(0))).toBe('record');
    expect(coalescer.offer({ ...wrongToken, reason: 'missing_token' }, at(1))).toBe('record');
    expect(coalescer.offer({ ...wrongToken, actor: 'admin-token:adm_1', reason: 'role_not_allowed' }, at(2))).toBe(
      'record',
    );
    expect(coalescer.offer(wrongToken, at(3))).toBe('coalesced');
  });

  it('records again once the window has passed, keeping the previous window summary', () => {
    const coalescer = new DenialCoalescer(1000);
    coalescer.offer(wrongToken, at(0));
    coalescer.offer(wrongToken, at(10));
    expect(coalescer.offer(wrongToken, at(1500))).toBe('record');
    expect(coalescer.due(at(1600))).toEqual([{ ...wrongToken, at: at(10).toISOString(), coalesced: 1 }]);
  });

  it('writes no summary for a window with a single denial', () => {
    const coalescer = new DenialCoalescer(1000);
    coalescer.offer(wrongToken, at(0));
    expect(coalescer.pending).toBe(false);
    expect(coalescer.due(at(5000))).toEqual([]);
  });
});
