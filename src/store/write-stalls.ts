/**
 * A run directory is written synchronously on the measuring thread, at most 64 kB buffered a
 * file: a disk that cannot keep up never grows a queue or loses a sample, it holds the event
 * loop instead, which delays every request due meanwhile. This notes how long writes held it,
 * so that analysis names the writer (`writer-backpressure`), not the server, as the cause.
 */

/** A write into the page cache takes tens of µs: one that takes a millisecond waited for the disk. */
const STALL_MS = 1;
/** Client ticks come a second after their window: older stalls are never asked for. */
const KEEP_MS = 60_000;

export interface WriteStalls {
  /** Runs a write, noting it when it held the loop STALL_MS or more. */
  timed(write: () => void): void;
  /** Ms within [from, to] (epoch ms) that noted writes held the loop. */
  within(from: number, to: number): number;
}

/** For a log nobody times (an import's, a test's): writes run as they are. */
export const UNTIMED: WriteStalls = { timed: (write) => write(), within: () => 0 };

export function newWriteStalls(): WriteStalls {
  const stalls: { from: number; to: number }[] = [];
  const epochNow = () => performance.timeOrigin + performance.now();
  return {
    timed(write) {
      const from = epochNow();
      try {
        write();
      } finally {
        const to = epochNow();
        if (to - from >= STALL_MS) {
          stalls.push({ from, to });
          while (stalls[0]!.to < to - KEEP_MS) stalls.shift();
        }
      }
    },
    within(from, to) {
      let ms = 0;
      for (const stall of stalls) ms += Math.max(0, Math.min(to, stall.to) - Math.max(from, stall.from));
      return ms;
    },
  };
}
