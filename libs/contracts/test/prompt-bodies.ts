/** A user turn, in chat's and Messages' shape. */
export const user = (content: unknown) => ({ role: 'user', content });

/** A PNG header (signature, IHDR) of the given size, as a base64 data URL padded to `extra` bytes. */
export function pngDataUrl(width: number, height: number, extra = 0): string {
  const header = Buffer.alloc(33 + extra);
  header.writeUInt32BE(0x89504e47, 0);
  header.writeUInt32BE(0x0d0a1a0a, 4);
  header.writeUInt32BE(13, 8);
  header.write('IHDR', 12, 'latin1');
  header.writeUInt32BE(width, 16);
  header.writeUInt32BE(height, 20);
  return `data:image/png;base64,${header.toString('base64')}`;
}
