/** `npm run schema`: writes the published JSON Schemas from their definitions. */
import { writeFileSync } from 'node:fs';
import { summaryJsonSchema } from '../model/summary.js';
import { recordsJsonSchema } from '../model/records-schema.js';
import { criteriaJsonSchema } from '../scenario/criteria.js';
import { scenarioJsonSchema } from '../scenario/schema.js';
import { priceSheetJsonSchema } from '../scenario/price-sheet.js';

const target = new URL('../../../schema/', import.meta.url);
writeFileSync(new URL('scenario.schema.json', target), JSON.stringify(scenarioJsonSchema(), null, 2) + '\n');
writeFileSync(new URL('summary.schema.json', target), JSON.stringify(summaryJsonSchema(), null, 2) + '\n');
writeFileSync(new URL('criteria.schema.json', target), JSON.stringify(criteriaJsonSchema(), null, 2) + '\n');
writeFileSync(new URL('records.schema.json', target), JSON.stringify(recordsJsonSchema(), null, 2) + '\n');
writeFileSync(new URL('prices.schema.json', target), JSON.stringify(priceSheetJsonSchema(), null, 2) + '\n');
