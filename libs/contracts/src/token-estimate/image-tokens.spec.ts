import { tilesOf } from './image-tokens';

describe('image tiles', () => {
  it('counts tiles as OpenAI does: fit in 2048, shortest side to 768, 512 px squares', () => {
    expect(tilesOf(1024, 1024)).toBe(4); // → 768 × 768
    expect(tilesOf(2048, 4096)).toBe(6); // → 1024 × 2048 → 768 × 1536
    expect(tilesOf(512, 512)).toBe(1);
    expect(tilesOf(100_000, 800)).toBe(4); // → 2048 × 16
  });
});
