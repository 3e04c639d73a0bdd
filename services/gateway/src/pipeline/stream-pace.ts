import type { ServerResponse } from 'node:http';

/**
 * The client took what was written, left, stalled past `stallMs`, or the stream's deadline passed:
 * a stream waits on its client no longer than that.
 */
export function drained(res: ServerResponse, deadline: AbortSignal, stallMs: number): Promise<void> {
  if (deadline.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(stalled);
      res.off('drain', done);
      res.off('close', done);
      deadline.removeEventListener('abort', done);
      resolve();
    };
    const stalled = setTimeout(done, stallMs);
    res.on('drain', done);
    res.on('close', done);
    deadline.addEventListener('abort', done);
  });
}

/** A client still holding back what it was sent (after its stall bound or the deadline) is cut; true when it was. */
export function cutIfUnread(res: ServerResponse): boolean {
  if (!res.writableNeedDrain) return false;
  res.destroy();
  return true;
}

/**
 * Ends a stream whose last bytes are written. At the deadline the connection goes too, not back
 * to keep-alive: a client that reads gets the end and then the close; one that does not read is
 * cut now, or by its stall bound once the kernel has taken what it could. True when it was cut.
 */
export function endStream(res: ServerResponse, deadlinePassed: boolean, stallMs: number): boolean {
  if (!deadlinePassed) {
    res.end();
    return false;
  }
  if (cutIfUnread(res)) return true;
  res.end();
  res.socket?.setTimeout(stallMs, () => res.socket?.destroy());
  res.socket?.end();
  return false;
}
