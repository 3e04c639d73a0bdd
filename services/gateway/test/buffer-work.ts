/**
 * The bytes Buffer's own methods search, copy and decode while `run` runs: a deterministic measure
 * of the CPU a byte parser spends (not a timing), whatever its code looks like.
 */
export async function bufferWork(run: () => unknown): Promise<number> {
  let bytes = 0;
  const { indexOf, toString: decode } = Buffer.prototype;
  const { concat, from } = Buffer;
  const spies = [
    jest.spyOn(Buffer.prototype, 'indexOf').mockImplementation(function (this: Buffer, ...args: unknown[]) {
      const offset = typeof args[1] === 'number' ? args[1] : 0;
      bytes += Math.max(0, this.length - (offset < 0 ? Math.max(0, this.length + offset) : offset));
      return Reflect.apply(indexOf, this, args);
    }),
    jest.spyOn(Buffer.prototype, 'toString').mockImplementation(function (this: Buffer, ...args: unknown[]) {
      const [start, end] = [args[1], args[2]].map((n) => (typeof n === 'number' ? n : undefined));
      bytes += Math.max(0, Math.min(end ?? this.length, this.length) - (start ?? 0));
      return Reflect.apply(decode, this, args);
    }),
    jest.spyOn(Buffer, 'concat').mockImplementation((list: readonly Uint8Array[], total?: number) => {
      const out = concat(list, total);
      bytes += out.length;
      return out;
    }),
    jest.spyOn(Buffer, 'from').mockImplementation(((...args: unknown[]) => {
      if (args[0] instanceof Uint8Array) bytes += args[0].length;
      return Reflect.apply(from, Buffer, args);
    }) as never),
  ];
  try {
    await run();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return bytes;
}

/** `bytes` in pieces of `size`, as TCP might deliver them. */
export const piecesOf = (bytes: Buffer, size: number): Buffer[] => {
  const pieces: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) pieces.push(bytes.subarray(i, i + size));
  return pieces;
};
