import { DECISION_PRICE_SHEETS, DECISION_SCENARIO, runDemo } from '../../demo.js';
import { CbError } from '../../model/errors.js';
import { renderCostMarkdown } from '../../report/cost.js';
import { priceRun } from './cost.js';
import { runAndPrint, type RunArgs } from './run.js';

export function demoCommand(args: Omit<RunArgs, 'scenario'> & { scenario?: string; decision?: boolean; http2?: boolean }): Promise<number> {
  return runAndPrint(
    args,
    (options) =>
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
    // The decision ends with what each platform would cost, priced from this run (coldbench cost).
    args.decision && !args.json ? (outcome) => printDecisionCost(outcome.dir) : undefined,
  );
}

async function printDecisionCost(runDir: string): Promise<void> {
  const command = `coldbench cost ${runDir} ${DECISION_PRICE_SHEETS.map((sheet) => `--prices ${sheet}`).join(' ')}`;
  try {
    const report = await priceRun({ runDir, prices: DECISION_PRICE_SHEETS, traffic: '10k,50k,500k,2M/month', peakToMean: 4, within: '10%' });
    process.stdout.write(`\n${renderCostMarkdown(report)}\n(${command})\n`);
  } catch (error) {
    if (!(error instanceof CbError)) throw error;
    process.stdout.write(`\nno cost table: ${error.message}\n(${command})\n`);
  }
}
