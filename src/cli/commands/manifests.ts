import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CbError, ExitCode } from '../../model/errors.js';
import { checkManifestFiles, formatManifestProblem } from '../../manifests/check.js';

/** Checks manifest files, and the .yaml/.yml files of directories, against the schemas a cluster applies; every problem on stderr. */
export async function manifestsCheckCommand(paths: readonly string[]): Promise<number> {
  const files = paths.flatMap((path) => {
    let directory: boolean;
    try {
      directory = statSync(path).isDirectory();
    } catch {
      throw new CbError('CB_USAGE', `cannot read ${path}: no such file or directory`);
    }
    return directory
      ? readdirSync(path, { recursive: true, encoding: 'utf8' })
          .filter((f) => /\.ya?ml$/.test(f))
          .map((f) => join(path, f))
          .sort()
      : [path];
  });
  const problems = await checkManifestFiles(files);
  for (const problem of problems) process.stderr.write(`${formatManifestProblem(problem)}\n`);
  process.stderr.write(`${files.length} files checked, ${problems.length} problems\n`);
  return problems.length ? ExitCode.badInput : ExitCode.pass;
}
