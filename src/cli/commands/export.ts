import { incompleteRun } from '../../analysis/outcome.js';
import { ExitCode } from '../../model/errors.js';
import { exportRunToInflux } from '../influx-export.js';
import type { InfluxConfig } from '../../sinks/influxdb.js';
import { openRunDirectory } from '../../store/run-dir.js';

export async function exportInfluxCommand(args: { runDir: string; influx: InfluxConfig; allowIncomplete: boolean }): Promise<number> {
  const incomplete = incompleteRun(openRunDirectory(args.runDir).manifest.status);
  if (incomplete && !args.allowIncomplete) {
    process.stderr.write(`CB_RUN_INCOMPLETE: ${incomplete}\n`);
    return ExitCode.runFailed;
  }
  const { points, written, error } = await exportRunToInflux(args.runDir, args.influx);
  process.stdout.write(`${written} of ${points} points written to ${args.influx.url} (org ${args.influx.org || '-'}, bucket ${args.influx.bucket})\n`);
  if (written === points) return ExitCode.pass;
  process.stderr.write(`CB_INFLUX_WRITE: ${points - written} points not written: ${error ?? 'unknown error'}\n`);
  return ExitCode.runFailed;
}
