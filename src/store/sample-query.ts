/**
 * `coldbench samples`: a run's stored samples streamed out for people and other tools, as
 * JSON lines (the records as the model types them) or CSV (one row a sample, the fields a
 * spreadsheet or pandas wants), filtered by `--where target=k8s,stage=10x`.
 */
import { CbError } from '../model/errors.js';
import type { StoredSample } from '../model/records.js';
import { readSamples, type RunDirectory } from './run-dir.js';
import { sampleLine } from './sample-line.js';

export type SampleFormat = 'jsonl' | 'csv';

/** The fields --where can test, and how each is read from a sample. */
const WHERE_FIELDS: Record<string, (sample: StoredSample) => unknown> = {
  kind: (s) => (s.type === 'checkpoint' ? 'checkpoint' : s.kind),
  target: (s) => s.target,
  probe: (s) => s.probe,
  stage: (s) => ('stage' in s ? s.stage : undefined),
  ok: (s) => ('ok' in s ? s.ok : undefined),
  status: (s) => ('status' in s ? s.status : undefined),
  error: (s) => ('error' in s ? s.error?.class : undefined),
  code: (s) => ('error' in s ? s.error?.code : undefined),
};

/** `target=k8s,stage=10x|1x` → a test every condition of which must hold; a value may list alternatives with `|`. */
export function parseWhere(text: string | undefined): (sample: StoredSample) => boolean {
  if (!text) return () => true;
  const conditions = text.split(',').map((part) => {
    const at = part.indexOf('=');
    const field = part.slice(0, at).trim();
    const read = WHERE_FIELDS[field];
    if (at <= 0 || !read) {
      throw new CbError('CB_USAGE', `--where "${part}" is not field=value with a field among ${Object.keys(WHERE_FIELDS).join(', ')}`);
    }
    const values = new Set(part.slice(at + 1).split('|'));
    return (sample: StoredSample) => values.has(String(read(sample)));
  });
  return (sample) => conditions.every((holds) => holds(sample));
}

const CSV_COLUMNS = [
  'kind',
  'probe',
  'target',
  'stage',
  'intendedAt',
  'startedAt',
  'latencyMs',
  'uncorrectedLatencyMs',
  'ttfbMs',
  'scheduleLagMs',
  'ok',
  'dropped',
  'status',
  'bytes',
  'errorCode',
  'errorClass',
  'instanceId',
] as const;

function csvRow(sample: StoredSample): string {
  const fields = sample as unknown as Record<string, unknown>;
  const cells = CSV_COLUMNS.map((column) => {
    switch (column) {
      case 'kind':
        return WHERE_FIELDS.kind!(sample);
      case 'errorCode':
        return (fields.error as { code?: string } | undefined)?.code;
      case 'errorClass':
        return (fields.error as { class?: string } | undefined)?.class;
      case 'instanceId':
        return fields.instanceId ?? (fields.instance as { id?: string } | undefined)?.id;
      default:
        return fields[column];
    }
  });
  return cells.map(csvCell).join(',') + '\n';
}

function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Writes every matching sample, in batches of about 64 kB; returns how many matched. */
export function writeSamples(run: RunDirectory, format: SampleFormat, where: string | undefined, write: (text: string) => void): number {
  const matches = parseWhere(where);
  const line = format === 'csv' ? csvRow : sampleLine;
  let batch = format === 'csv' ? CSV_COLUMNS.join(',') + '\n' : '';
  let count = 0;
  readSamples(run, (sample) => {
    if (!matches(sample)) return;
    count += 1;
    batch += line(sample);
    if (batch.length >= 1 << 16) {
      write(batch);
      batch = '';
    }
  });
  if (batch) write(batch);
  return count;
}
