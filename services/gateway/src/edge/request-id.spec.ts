import { requestIdsOf } from './request-id';

describe('the ids of a call', () => {
  let n = 0;
  const newId = () => `call-${++n}`;

  it('echoes a safe caller id but gives every call its own identity', () => {
    const first = requestIdsOf({ 'x-request-id': 'client-7' }, newId);
    const second = requestIdsOf({ 'x-request-id': 'client-7' }, newId);
    expect(first).toMatchObject({ requestId: 'client-7', clientRequestId: 'client-7' });
    expect(second.requestId).toBe('client-7');
    expect(first.callId).not.toBe(second.callId);
  });

  it('takes Portkey trace ids, and replaces an unsafe or missing id with the call id', () => {
    expect(requestIdsOf({ 'x-portkey-trace-id': 'trace-1' }, newId)).toMatchObject({
      requestId: 'trace-1',
      clientRequestId: 'trace-1',
    });
    const unsafe = requestIdsOf({ 'x-request-id': 'has spaces\n' }, newId);
    expect(unsafe.clientRequestId).toBeNull();
    expect(unsafe.requestId).toBe(unsafe.callId);
    const none = requestIdsOf({}, newId);
    expect(none.requestId).toBe(none.callId);
  });
});
