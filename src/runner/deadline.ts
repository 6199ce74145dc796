/**
 * A signal that aborts with its parent or after a time, and can be cleared. Not
 * `AbortSignal.any([parent, AbortSignal.timeout(ms)])`: Node 20 holds a timeout signal inside
 * `any` only weakly and may collect it before it fires (nodejs/node#57736), which made a run
 * wait forever for a drain that only the timeout could end.
 */
export interface Deadline {
  signal: AbortSignal;
  /** Stops the timer and lets go of the parent: call it once the work is done. */
  clear(): void;
}

export function deadline(parent: AbortSignal, ms: number): Deadline {
  const controller = new AbortController();
  const onParentAbort = () => controller.abort(parent.reason);
  const timer = setTimeout(() => controller.abort(new DOMException(`no end within ${ms}ms`, 'TimeoutError')), ms);
  const clear = () => {
    clearTimeout(timer);
    parent.removeEventListener('abort', onParentAbort);
  };
  if (parent.aborted) onParentAbort();
  else parent.addEventListener('abort', onParentAbort, { once: true });
  controller.signal.addEventListener('abort', clear, { once: true });
  return { signal: controller.signal, clear };
}

/** Resolves when the signal aborts (at once if it has). */
export function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
}
