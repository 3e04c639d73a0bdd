import { sql, type Kysely } from 'kysely';
import type { Database } from '@sluice/db';
import { modelPrice, type CatalogPriceUsd, type ModelPrice } from '@sluice/contracts';

interface PricePoint {
  recordedAt: number;
  price: ModelPrice;
}

interface History {
  /** ModelAdded prices in stream order. */
  points: PricePoint[];
  /** The database's clock when the history was read: every price recorded up to then is in it. */
  loadedAt: number;
}

/**
 * Each model's price history, read from its ModelAdded events and kept in memory. A model's history
 * is re-read when a call started after it was read, because a newer price may be in force for that
 * call; so a batch costs at most one query for all the models it needs refreshed.
 */
export class PriceHistory {
  readonly #models = new Map<string, History>();

  constructor(private readonly db: Kysely<Database>) {}

  /** Loads whatever the given calls need; then `priceAt` answers without I/O. */
  async prepare(calls: ReadonlyArray<{ model: string; startedAt: string }>): Promise<void> {
    const latestStart = new Map<string, number>();
    for (const call of calls) {
      const at = Date.parse(call.startedAt);
      if (!(at <= (latestStart.get(call.model) ?? -Infinity))) latestStart.set(call.model, at);
    }
    const stale = [...latestStart].filter(([model, at]) => !(at <= (this.#models.get(model)?.loadedAt ?? -Infinity))).map(([model]) => model);
    if (stale.length === 0) return;
    const { rows } = await sql<{ model: string; loaded_at: Date; data: CatalogPriceUsd | null; recorded_at: Date | null }>`
      select m.model, now() as loaded_at, e.data, e.recorded_at
      from unnest(${stale}::text[]) as m(model)
      left join events e on e.stream_id = 'model-' || m.model and e.event_type = 'ModelAdded'
      order by m.model, e.stream_version`.execute(this.db);
    const loaded = new Map<string, History>(stale.map((model) => [model, { points: [], loadedAt: -Infinity }]));
    for (const row of rows) {
      const history = loaded.get(row.model)!;
      history.loadedAt = row.loaded_at.getTime();
      if (row.data && row.recorded_at) {
        history.points.push({ recordedAt: row.recorded_at.getTime(), price: modelPrice(row.data) });
      }
    }
    for (const [model, history] of loaded) this.#models.set(model, history);
  }

  /**
   * The price in force when the call started: the latest ModelAdded recorded at or before that
   * time; a call that started before the model's first price is priced with the first one.
   */
  priceAt(model: string, startedAt: string): ModelPrice | null {
    const points = this.#models.get(model)?.points;
    if (!points || points.length === 0) return null;
    const at = Date.parse(startedAt);
    for (let i = points.length - 1; i >= 0; i--) if (points[i].recordedAt <= at) return points[i].price;
    return points[0].price;
  }
}
