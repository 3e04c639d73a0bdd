import { getHeapStatistics } from 'node:v8';
import type { Meter } from '@opentelemetry/api';

/**
 * `sluice_process_memory_bytes` by `kind`, read at each collection: the resident set, V8's heap
 * (committed, used, and the ceiling a service dies at), and memory outside it (Buffers).
 */
export function observeProcessMemory(meter: Meter): void {
  meter
    .createObservableGauge('sluice.process.memory.bytes', {
      description:
        'Memory of this process: rss (resident), heap_total (committed by V8), heap_used, heap_limit (V8 stops the process past it), external and array_buffers (outside the heap).',
    })
    .addCallback((r) => {
      const m = process.memoryUsage();
      r.observe(m.rss, { kind: 'rss' });
      r.observe(m.heapTotal, { kind: 'heap_total' });
      r.observe(m.heapUsed, { kind: 'heap_used' });
      r.observe(getHeapStatistics().heap_size_limit, { kind: 'heap_limit' });
      r.observe(m.external, { kind: 'external' });
      r.observe(m.arrayBuffers, { kind: 'array_buffers' });
    });
}
