import type { Api, Query } from '../api/client';
import { withQuery } from '../api/client';

export interface ExportProgress {
  bytes: number;
  lines: number;
  done: boolean;
}

/**
 * Streams GET /audit/export into a Blob, reporting bytes and lines as they arrive (the export can be
 * large; its length is not known in advance), then hands the file to the browser as a download.
 */
export async function exportAudit(
  api: Api,
  format: 'ndjson' | 'csv',
  filters: Query,
  onProgress: (p: ExportProgress) => void,
): Promise<{ file: Blob; name: string; progress: ExportProgress }> {
  const res = await api.raw(withQuery('/audit/export', { ...filters, format }));
  const reader = res.body!.getReader();
  const chunks: BlobPart[] = [];
  const progress: ExportProgress = { bytes: 0, lines: 0, done: false };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    chunks.push(value);
    progress.bytes += value.byteLength;
    for (let i = 0; i < value.length; i++) if (value[i] === 10) progress.lines++;
    onProgress({ ...progress });
  }
  progress.done = true;
  onProgress({ ...progress });
  const type = format === 'csv' ? 'text/csv' : 'application/x-ndjson';
  return {
    file: new Blob(chunks, { type }),
    name: `sluice-audit-${new Date().toISOString().slice(0, 19).replace(/:/g, '')}.${format}`,
    progress,
  };
}

export function download(file: Blob, name: string): void {
  const url = URL.createObjectURL(file);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
