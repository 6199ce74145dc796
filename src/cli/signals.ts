/**
 * First SIGINT, SIGTERM or SIGHUP (a closed terminal, a CI runner's hang-up): stop gracefully (samples so far kept, summary written, children
 * stopped). Second: leave at once.
 */
const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export function abortOnSignals(onFirst: () => void, forceExitCode: number): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const handler = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(forceExitCode);
    process.stderr.write(`\n${name}: stopping; samples so far are kept (${name} again to quit at once)\n`);
    controller.abort(new Error(`interrupted by ${name}`));
    onFirst();
  };
  for (const name of STOP_SIGNALS) process.on(name, handler);
  return {
    signal: controller.signal,
    dispose() {
      for (const name of STOP_SIGNALS) process.off(name, handler);
    },
  };
}
