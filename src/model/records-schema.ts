/**
 * schema/records.schema.json, generated from the record types themselves (records.ts) so
 * that other tools can write run directories: by `npm run schema`, and checked by the tests.
 * ts-json-schema-generator is a development dependency; nothing at run time imports this.
 */
import { fileURLToPath } from 'node:url';
import { createGenerator } from 'ts-json-schema-generator';

export function recordsJsonSchema(): object {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  const schema = createGenerator({
    path: `${root}src/model/records.ts`,
    tsconfig: `${root}tsconfig.json`,
    type: 'StoredRecord',
    expose: 'export',
    topRef: true,
    skipTypeCheck: true,
    additionalProperties: false,
  }).createSchema('StoredRecord');
  return { ...schema, title: 'A line of samples.jsonl or series.jsonl in a coldbench run directory (format 2)' };
}
