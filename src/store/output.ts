/**
 * Where coldbench writes what a user named (--out, --junit, --markdown): a path that is a
 * file, missing its directory or not writable is a clear CB_OUTPUT_UNWRITABLE error, never
 * a stack trace. Directories are made one level at a time, as Node's recursive mkdir can
 * loop forever under /proc.
 */
import { accessSync, constants, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CbError } from '../model/errors.js';

export function makeDirectory(dir: string, what: string): void {
  const missing: string[] = [];
  let existing = resolve(dir);
  while (!existsSync(existing)) {
    missing.unshift(existing);
    existing = dirname(existing);
  }
  try {
    if (!statSync(existing).isDirectory()) throw Object.assign(new Error(`${existing} is not a directory`), { code: 'ENOTDIR' });
    for (const level of missing) mkdirSync(level);
    accessSync(resolve(dir), constants.W_OK);
  } catch (error) {
    throw new CbError('CB_OUTPUT_UNWRITABLE', `cannot write ${what} ${dir}: ${(error as Error).message}`);
  }
}

/**
 * A file that is rewritten (manifest, histograms, summary): a reader or a crash sees the old
 * one or the new one, never half. On a full disk there is no room for the second copy: the
 * file is then rewritten in place, in the blocks its old text frees.
 */
export function writeFileAtomic(path: string, text: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, text);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    if (!isOutputFull(error) || !existsSync(path)) throw error;
    writeFileSync(path, text);
  }
}

/** A write that failed for want of space (a full disk, a quota). */
export function isOutputFull(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** A failed write to the run directory as the error a user reads: CB_OUTPUT_FULL for a full disk, else CB_OUTPUT_UNWRITABLE. */
export function outputError(error: unknown, path: string): CbError {
  const reason = (error as Error)?.message ?? String(error);
  return isOutputFull(error)
    ? new CbError('CB_OUTPUT_FULL', `${path}: no space left (${reason}); what was written before it is kept`)
    : new CbError('CB_OUTPUT_UNWRITABLE', `cannot write ${path}: ${reason}`);
}

export function writeOutputFile(path: string, text: string, what: string): void {
  try {
    writeFileSync(path, text);
  } catch (error) {
    throw new CbError('CB_OUTPUT_UNWRITABLE', `cannot write ${what} ${path}: ${(error as Error).message}`);
  }
}
