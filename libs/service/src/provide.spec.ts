import { provide, token } from './provide';

class Clock {
  now(): number {
    return 0;
  }
}
class Greeter {
  constructor(
    readonly greeting: string,
    readonly clock: Clock,
  ) {}
}
const GREETING = token<string>('GREETING');
const PORT = token<number>('PORT');

describe('provide', () => {
  it('builds the Nest factory provider: the token, the factory, its dependencies in order', () => {
    const provider = provide(Greeter, [GREETING, Clock], (greeting, clock) => new Greeter(greeting, clock));
    expect(provider.provide).toBe(Greeter);
    expect(provider.inject).toEqual([GREETING, Clock]);
    const built = provider.useFactory('hello', new Clock()) as Greeter;
    expect(built.greeting).toBe('hello');
  });

  // These fail the type-check (`npm test` runs it) if the helper stops checking the wiring.
  it('is checked by the compiler: dependencies in the wrong order, a wrong type, a wrong result', () => {
    // @ts-expect-error the dependencies are swapped
    provide(Greeter, [Clock, GREETING], (greeting: string, clock: Clock) => new Greeter(greeting, clock));
    // @ts-expect-error PORT is a number, not a string
    provide(Greeter, [PORT, Clock], (greeting: string, clock: Clock) => new Greeter(greeting, clock));
    // @ts-expect-error a factory that needs more than is injected
    provide(Greeter, [GREETING], (greeting: string, clock: Clock) => new Greeter(greeting, clock));
    // @ts-expect-error GREETING is bound to a string, not a number
    provide(GREETING, [PORT], (port) => port);
    expect(provide(PORT, [], () => 8080).inject).toEqual([]);
  });
});
