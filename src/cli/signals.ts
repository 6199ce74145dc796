/**
 * First SIGINT/SIGTERM: stop gracefully (samples so far kept, summary written, children
 * stopped). Second: leave at once.
 */
export function abortOnSignals(onFirst: () => void, forceExitCode: number): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const handler = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(forceExitCode);
    process.stderr.write(`\n${name}: stopping; samples so far are kept (${name} again to quit at once)\n`);
    controller.abort(new Error(`interrupted by ${name}`));
    onFirst();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
