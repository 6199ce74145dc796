import { DECISION_SCENARIO, runDemo } from '../../demo.js';
import { runAndPrint, type RunArgs } from './run.js';

export function demoCommand(args: Omit<RunArgs, 'scenario'> & { scenario?: string; decision?: boolean; http2?: boolean }): Promise<number> {
  return runAndPrint(args, (options) =>
    runDemo({
      ...options,
      maxRate: args.maxRate,
      scenarioFile: args.decision ? DECISION_SCENARIO : args.scenario,
      http2: args.http2,
      onPlatforms: (urls) =>
        process.stderr.write(
          `embedded platforms: ${Object.entries(urls)
            .map(([name, url]) => `${name} ${url}`)
            .join(', ')}\n`,
        ),
    }),
  );
}
