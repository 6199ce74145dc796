import { ExitCode } from '../../model/errors.js';
import { openRunDirectory } from '../../store/run-dir.js';
import { writeSamples, type SampleFormat } from '../../store/sample-query.js';

/**
 * Streams a run's samples to stdout (a pipe on Linux is written synchronously, so memory
 * stays flat whatever the run's size). What could not be read is said on stderr, and makes
 * the exit code 4 unless --allow-incomplete, as for report and gate.
 */
export function samplesCommand(args: { runDir: string; format: SampleFormat; where?: string; allowIncomplete: boolean }): number {
  const run = openRunDirectory(args.runDir);
  const count = writeSamples(run, args.format, args.where, (text) => process.stdout.write(text));
  process.stderr.write(`${count} samples${args.where ? ` where ${args.where}` : ''}\n`);
  for (const reason of run.incomplete) process.stderr.write(`incomplete: ${reason}\n`);
  return run.incomplete.length > 0 && !args.allowIncomplete ? ExitCode.runFailed : ExitCode.pass;
}
