import { incompleteRun } from '../../analysis/outcome.js';
import { CbError, ExitCode } from '../../model/errors.js';
import { exportRunToInflux } from '../influx-export.js';
import type { InfluxConfig } from '../../sinks/influxdb.js';
import { openRunDirectory } from '../../store/run-dir.js';

export async function exportInfluxCommand(args: { runDir: string; influx: InfluxConfig; allowIncomplete: boolean }): Promise<number> {
  const incomplete = incompleteRun(openRunDirectory(args.runDir).manifest.status);
  if (incomplete && !args.allowIncomplete) throw new CbError('CB_RUN_INCOMPLETE', incomplete);
  const { points, written, error } = await exportRunToInflux(args.runDir, args.influx);
  process.stdout.write(`${written} of ${points} points written to ${args.influx.url} (org ${args.influx.org || '-'}, bucket ${args.influx.bucket})\n`);
  if (written === points) return ExitCode.pass;
  throw new CbError('CB_INFLUX_WRITE', `${points - written} points not written: ${error ?? 'unknown error'}`);
}
