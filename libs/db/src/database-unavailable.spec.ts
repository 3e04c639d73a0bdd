import { runInNewContext } from 'node:vm';
import { isDatabaseUnavailable } from './database-unavailable';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable', () => {
  it.each([
    ['the server refuses connections (down)', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['the server is starting up after a crash', withCode('the database system is starting up', '57P03')],
    [
      'the server crashed under an open connection',
      withCode('terminating connection due to unexpected postmaster exit', '57P02'),
    ],
    ['an administrator shut the server down', withCode('terminating connection due to administrator command', '57P01')],
    ['a connection exception', withCode('connection failure', '08006')],
    ['the connection ended mid-query', new Error('Connection terminated unexpectedly')],
    [
      'a pooled connection that already failed',
      new Error('Client has encountered a connection error and is not queryable'),
    ],
    // What jest hands a test: the socket error of Node's own realm is no `Error` of the sandbox.
    [
      'the refusal comes as an error of another realm',
      Object.assign(runInNewContext("new Error('connect ECONNREFUSED 127.0.0.1:5432')"), { code: 'ECONNREFUSED' }),
    ],
  ])('says yes when %s', (_, err) => {
    expect(isDatabaseUnavailable(err)).toBe(true);
  });

  it.each([
    ['a unique violation', withCode('duplicate key value violates unique constraint', '23505')],
    ['a syntax error', withCode('syntax error at or near "selec"', '42601')],
    ['a serialization failure', withCode('could not serialize access', '40001')],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['something that is not an error', 'ECONNREFUSED'],
  ])('says no for %s', (_, err) => {
    expect(isDatabaseUnavailable(err)).toBe(false);
  });
});
