import { costMeasurements, costReport, type CostOptions } from '../../analysis/cost.js';
import { loadRun } from '../../analysis/run-data.js';
import { summarize } from '../../analysis/summarize.js';
import { CbError, ExitCode } from '../../model/errors.js';
import type { CostReport, PriceSheet } from '../../model/price-sheet.js';
import { parsePercent, parseTrafficLevels } from '../../model/units.js';
import { renderCostMarkdown } from '../../report/cost.js';
import { loadPriceSheets } from '../../scenario/price-sheet.js';

export interface CostArgs {
  runDir: string;
  prices: string[];
  traffic: string;
  peakToMean: number;
  within: string;
  instances?: number;
  json: boolean;
}

/** The monthly cost per platform and traffic level; exit 1 when a platform's interval is wider than --within. */
export async function costCommand(args: CostArgs): Promise<number> {
  const report = await priceRun(args);
  process.stdout.write(args.json ? JSON.stringify(report, null, 2) + '\n' : renderCostMarkdown(report));
  return report.platforms.every((p) => p.predictable) ? ExitCode.pass : ExitCode.fail;
}

export async function priceRun(args: Omit<CostArgs, 'json'>): Promise<CostReport> {
  const { sheet, options } = await pricing(args);
  const run = loadRun(args.runDir);
  return costReport(sheet, costMeasurements(run, summarize(run), args.instances), options);
}

/** The sheets and options of `cost` (and of `report --prices`), checked. */
export async function pricing(args: Pick<CostArgs, 'prices' | 'traffic' | 'peakToMean' | 'within'>): Promise<{ sheet: PriceSheet; options: CostOptions }> {
  const traffic = parseTrafficLevels(args.traffic);
  if (!traffic) throw new CbError('CB_USAGE', `--traffic expects requests a month like 10k,50k,500k,2M/month, got "${args.traffic}"`);
  const within = parsePercent(args.within);
  if (within === undefined || within <= 0) throw new CbError('CB_USAGE', `--within expects a percentage like 10%, got "${args.within}"`);
  if (!(args.peakToMean >= 1)) throw new CbError('CB_USAGE', `--peak-to-mean expects a number of 1 or more, got "${args.peakToMean}"`);
  return { sheet: await loadPriceSheets(args.prices), options: { traffic, peakToMean: args.peakToMean, within } };
}
