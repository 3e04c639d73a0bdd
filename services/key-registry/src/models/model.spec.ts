import { ErrorCodes } from '@sluice/contracts';
import { decideAddModel, decideRemoveModel, foldModel, type ModelEvent } from './model';

const now = new Date('2026-11-24T12:00:00Z');
const body = {
  name: 'gpt-4o-mini',
  providerId: 'prov_1',
  upstreamModel: 'gpt-4o-mini',
  inputUsdPerMTok: 0.15,
  outputUsdPerMTok: 0.6,
};

describe('model catalog entries', () => {
  it('adds, refuses a duplicate, removes and adds again', () => {
    const added = decideAddModel(body, now, foldModel([]));
    expect(added[0]).toMatchObject({ type: 'ModelAdded', data: { name: 'gpt-4o-mini', cachedInputUsdPerMTok: null } });
    expect(() => decideAddModel(body, now, foldModel(added))).toThrow(
      expect.objectContaining({ code: ErrorCodes.modelNameTaken }),
    );
    const removed: ModelEvent[] = [...added, ...decideRemoveModel('gpt-4o-mini', now, foldModel(added))];
    expect(decideAddModel(body, now, foldModel(removed))).toHaveLength(1);
  });

  it('records the cache-write price, and a family entry whose upstream model may take what its * matched', () => {
    const claude = {
      ...body,
      name: 'claude-haiku-4-5*',
      upstreamModel: 'claude-haiku-4-5*',
      cachedInputUsdPerMTok: 0.1,
      cacheWriteUsdPerMTok: 1.25,
    };
    expect(decideAddModel(claude, now, foldModel([]))[0]).toMatchObject({
      data: { name: 'claude-haiku-4-5*', upstreamModel: 'claude-haiku-4-5*', cacheWriteUsdPerMTok: 1.25 },
    });
    expect(decideAddModel(body, now, foldModel([]))[0]).toMatchObject({ data: { cacheWriteUsdPerMTok: null } });
    expect(() => decideAddModel({ ...claude, name: 'claude-haiku' }, now, foldModel([]))).toThrow(
      expect.objectContaining({ code: ErrorCodes.validation }),
    );
  });

  it('cannot remove what is not listed', () => {
    expect(() => decideRemoveModel('nope', now, foldModel([]))).toThrow(
      expect.objectContaining({ code: ErrorCodes.modelNotFound }),
    );
  });
});
