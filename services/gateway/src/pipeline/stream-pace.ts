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
 * Ends a stream whose last bytes are written. Those bytes (a `response.completed` echoing the
 * caller's instructions and tools can be megabytes) are held to the client-stall bound too: a
 * client that has not taken them within `stallMs` is cut, whatever the socket's keep-alive. At
 * the deadline the connection goes too, not back to keep-alive: a client that reads gets the end
 * and then the close; one that does not read is cut now. True when it was cut now.
 */
export function endStream(res: ServerResponse, deadlinePassed: boolean, stallMs: number): boolean {
  if (deadlinePassed && cutIfUnread(res)) return true;
  // Read before end(): an ended response no longer says it needs draining.
  if (res.writableNeedDrain) cutUnlessTaken(res, stallMs);
  res.end();
  if (!deadlinePassed) return false;
  res.socket?.setTimeout(stallMs, () => res.socket?.destroy());
  res.socket?.end();
  return false;
}

/** 'finish' is the last byte handed to the kernel: until then the gateway holds what is unsent. */
function cutUnlessTaken(res: ServerResponse, stallMs: number): void {
  const stalled = setTimeout(() => res.destroy(), stallMs);
  const taken = () => clearTimeout(stalled);
  res.once('finish', taken);
  res.once('close', taken);
}
