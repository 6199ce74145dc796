/**
 * A flow's data file: one row per flow, as a map of column names to text. CSV with a header
 * line (parsed by csv-parse: quotes, embedded commas and line breaks, CRLF) or JSON (a list
 * of objects of scalars). Read when the scenario is, so a missing or malformed file stops
 * the run before any traffic.
 */
import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { CbError } from '../model/errors.js';

export type DataRow = Readonly<Record<string, string>>;

export interface FlowData {
  file: string;
  columns: string[];
  rows: DataRow[];
}

export function readFlowData(file: string, baseDir: string): FlowData {
  const path = resolve(baseDir, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new CbError('CB_DATA_NOT_FOUND', `cannot read data file ${file} (${path}): ${reason}`);
  }
  const rows = extname(file).toLowerCase() === '.json' ? jsonRows(text, file) : csvRows(text, file);
  if (rows.length === 0) throw new CbError('CB_DATA_MALFORMED', `data file ${file} holds no rows`);
  return { file, columns: Object.keys(rows[0]!), rows };
}

function csvRows(text: string, file: string): DataRow[] {
  try {
    return parse(text, { columns: true, skip_empty_lines: true, bom: true, trim: false }) as DataRow[];
  } catch (error) {
    const { lines } = error as { lines?: number };
    throw new CbError('CB_DATA_MALFORMED', `${file}${lines ? `:${lines}` : ''}: ${(error as Error).message.replace(/^Invalid Record Length: /, '')}`);
  }
}

function jsonRows(text: string, file: string): DataRow[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CbError('CB_DATA_MALFORMED', `${file}: not JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(value)) throw new CbError('CB_DATA_MALFORMED', `${file}: expected a list of objects, one per flow`);
  return value.map((row, index) => {
    if (row === null || typeof row !== 'object' || Array.isArray(row)) throw new CbError('CB_DATA_MALFORMED', `${file}: row ${index + 1} is not an object`);
    const entries = Object.entries(row as Record<string, unknown>);
    const nested = entries.find(([, cell]) => cell !== null && typeof cell === 'object');
    if (nested) throw new CbError('CB_DATA_MALFORMED', `${file}: row ${index + 1}, "${nested[0]}" is not a string, number or boolean`);
    return Object.fromEntries(entries.map(([column, cell]) => [column, cell === null ? '' : String(cell)]));
  });
}
