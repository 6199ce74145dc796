/**
 * An append-only line file. Lines are handed to the OS at most `flushMs` after they
 * were written (at once when the buffer fills), and synchronously on close and at process
 * exit, so Ctrl-C or a crash loses nothing already handed over; a SIGKILL at most the last
 * `flushMs`. Batching keeps 10k samples a second from costing 10k system calls.
 */
import { closeSync, existsSync, openSync, readSync, writeSync } from 'node:fs';
import { UNTIMED, type WriteStalls } from './write-stalls.js';

export interface AppendLog {
  /** One line, newline included. */
  append(line: string): void;
  flush(): void;
  /** Appends another file's complete lines, a megabyte at a time: a torn last line (a crashed runner) is left out, and its bytes returned. */
  appendWholeLinesOf(path: string): number;
  close(): void;
}

/**
 * `onError` hears the first write that fails (a full disk); the log then keeps what it wrote
 * and drops the rest, never throwing into the code that appends.
 */
/**
 * What open logs still hold is written when the process exits. One listener for all of them:
 * a run and its warm-up's rehearsal hold a dozen logs at once, past Node's warning at ten listeners.
 */
const flushesAtExit = new Set<() => void>();
const flushAll = () => flushesAtExit.forEach((flush) => flush());

/** Runs `flush` at process exit until the returned function is called. */
export function flushAtExit(flush: () => void): () => void {
  if (flushesAtExit.size === 0) process.on('exit', flushAll);
  flushesAtExit.add(flush);
  return () => {
    flushesAtExit.delete(flush);
    if (flushesAtExit.size === 0) process.off('exit', flushAll);
  };
}

export function openAppendLog(
  path: string,
  onError: (error: unknown) => void,
  { flushMs = 50, maxBufferBytes = 64 * 1024, stalls = UNTIMED }: { flushMs?: number; maxBufferBytes?: number; stalls?: WriteStalls } = {},
): AppendLog {
  const fd = openSync(path, 'a');
  let buffer: string[] = [];
  let bytes = 0;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let failed = false;

  const flush = () => {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (buffer.length === 0 || closed || failed) return;
    const text = buffer.join('');
    buffer = [];
    bytes = 0;
    try {
      stalls.timed(() => writeSync(fd, text));
    } catch (error) {
      failed = true;
      onError(error);
    }
  };
  const stopFlushingAtExit = flushAtExit(flush);

  return {
    append(line) {
      if (closed || failed) return;
      buffer.push(line);
      bytes += line.length;
      if (bytes >= maxBufferBytes) flush();
      else if (!timer) {
        timer = setTimeout(flush, flushMs);
        timer.unref();
      }
    },
    flush,
    appendWholeLinesOf(path) {
      flush();
      if (!existsSync(path)) return 0;
      const input = openSync(path, 'r');
      const chunk = Buffer.alloc(1 << 20);
      let pending = Buffer.alloc(0);
      try {
        for (let read = readSync(input, chunk); read > 0; read = readSync(input, chunk)) {
          const joined = Buffer.concat([pending, chunk.subarray(0, read)]);
          const end = joined.lastIndexOf(10) + 1;
          writeSync(fd, joined.subarray(0, end));
          pending = Buffer.from(joined.subarray(end));
        }
      } finally {
        closeSync(input);
      }
      return pending.length;
    },
    close() {
      flush();
      closed = true;
      stopFlushingAtExit();
      closeSync(fd);
    },
  };
}
