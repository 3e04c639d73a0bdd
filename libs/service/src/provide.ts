import type { FactoryProvider } from '@nestjs/common';

declare const valueType: unique symbol;

/** A symbol token that carries the type of the value bound to it. */
export type TypedSymbol<T> = symbol & { readonly [valueType]?: T };

/**
 * A Nest injection token: a typed symbol, or a class (its own token; matched on `prototype`, which a private
 * constructor also has).
 */
export type Token<T> = TypedSymbol<T> | (Function & { prototype: T });

/** A symbol token for values that are not classes (configuration, connections, plain objects). */
export function token<T>(description: string): TypedSymbol<T> {
  return Symbol(description) as TypedSymbol<T>;
}

type ValueOf<K> = K extends Function & { prototype: infer I }
  ? I
  : K extends symbol & { readonly [valueType]?: infer T }
    ? T
    : never;
type ValuesOf<Ks extends readonly unknown[]> = { -readonly [I in keyof Ks]: ValueOf<Ks[I]> };

/**
 * A factory provider the compiler checks: each dependency's type is the type its token carries,
 * in order, and the factory must return the provided token's type. Nest's own `inject: [...]`
 * array is positional and untyped, so a swapped or missing dependency surfaces only at run time.
 */
export function provide<T, const Ks extends readonly Token<unknown>[]>(
  provided: Token<T>,
  deps: Ks,
  factory: (...args: NoInfer<ValuesOf<Ks>>) => T | Promise<T>,
): FactoryProvider<T> {
  return { provide: provided, useFactory: factory as (...args: unknown[]) => T | Promise<T>, inject: [...deps] };
}
