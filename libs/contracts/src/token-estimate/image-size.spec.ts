import { pngDataUrl } from '../../test/prompt-bodies';
import { dataUrlImageSize } from './image-size';

describe('image sizes', () => {
  it('reads PNG, GIF and JPEG headers from a data URL, and nothing from a URL', () => {
    expect(dataUrlImageSize(pngDataUrl(640, 480))).toEqual({ width: 640, height: 480 });
    const gif = Buffer.from('GIF89a\x20\x03\x58\x02\x00\x00', 'latin1');
    expect(dataUrlImageSize(`data:image/gif;base64,${gif.toString('base64')}`)).toEqual({ width: 800, height: 600 });
    // SOI, an APP0 segment of 16 bytes, then SOF0 with height 300, width 400
    const jpeg = Buffer.concat([
      Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]),
      Buffer.alloc(14),
      Buffer.from([0xff, 0xc0, 0x00, 0x11, 0x08, 0x01, 0x2c, 0x01, 0x90, 0x03]),
    ]);
    expect(dataUrlImageSize(`data:image/jpeg;base64,${jpeg.toString('base64')}`)).toEqual({ width: 400, height: 300 });
    expect(dataUrlImageSize('https://example.com/a.png')).toBeNull();
    expect(dataUrlImageSize('data:image/png;base64,bm90IGFuIGltYWdl')).toBeNull();
  });
});
