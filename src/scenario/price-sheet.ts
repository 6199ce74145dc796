/**
 * Price sheets: YAML validated like scenarios (every problem at once, with file and line),
 * published as schema/prices.schema.json. A price is a non-negative number with the page
 * it was read from and the date; which prices a platform needs follows from its billing.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { CbError } from '../model/errors.js';
import type { PriceSheet } from '../model/price-sheet.js';
import { nonEmptyString, percent } from './schema.js';
import { parseValidated } from './yaml-document.js';

/** ISO 4217 codes of the currencies cloud providers bill in. */
const CURRENCIES = ['USD', 'EUR', 'GBP', 'JPY', 'CAD', 'AUD', 'CHF', 'INR', 'SGD', 'BRL', 'SEK', 'NOK', 'DKK', 'PLN', 'CNY', 'KRW', 'IDR', 'MXN'] as const;

const amount = z.number({ error: 'expected a number' }).nonnegative({ error: 'expected a price of 0 or more' });
const count = z.number({ error: 'expected a number' }).nonnegative({ error: 'expected 0 or more' });
const positive = z.number({ error: 'expected a number' }).positive({ error: 'expected a number above 0' });

const price = z
  .strictObject({
    value: amount,
    source: z.url({ error: 'expected the URL the price was read from' }),
    read: z.iso.date({ error: 'expected the date it was read, YYYY-MM-DD' }),
    note: nonEmptyString.optional().meta({ description: 'How the value follows from the page, when it is not copied as is' }),
  })
  .meta({ description: 'A price in the sheet’s currency, with the page it was read from and when' });

const resources = z.strictObject({ vcpu: positive, memoryGiB: positive });
const headroom = percent.refine((share) => share < 1, { message: 'expected a headroom below 100%' }).prefault('30%');

const common = { name: nonEmptyString, target: nonEmptyString.meta({ description: 'The run’s target whose measurements stand for this platform' }) };

const platform = z.discriminatedUnion(
  'billing',
  [
    z
      .strictObject({
        ...common,
        billing: z.literal('requests'),
        instance: resources,
        minInstances: count.default(0),
        free: z.strictObject({ vcpuSeconds: count.default(0), gibSeconds: count.default(0), requests: count.default(0) }).prefault({}),
        prices: z.strictObject({
          vcpuSecond: price,
          gibSecond: price,
          millionRequests: price.meta({ description: 'Per million requests' }),
        }),
      })
      .meta({ description: 'Request-based billing (Cloud Run): busy instance time, each busy period rounded up to 100 ms, and a fee per request' }),
    z
      .strictObject({
        ...common,
        billing: z.literal('instances'),
        instance: resources,
        minInstances: count.default(0),
        free: z.strictObject({ vcpuSeconds: count.default(0), gibSeconds: count.default(0) }).prefault({}),
        prices: z.strictObject({ vcpuSecond: price, gibSecond: price }),
      })
      .meta({ description: 'Instance-based billing (Cloud Run): each instance’s whole lifetime, no request fee' }),
    z
      .strictObject({
        ...common,
        billing: z.literal('nodes'),
        node: z.strictObject({ type: nonEmptyString, podsPerNode: z.int({ error: 'expected a whole number' }).positive({ error: 'expected 1 or more' }) }),
        minPods: count.default(1),
        minNodes: count.default(1),
        headroom,
        prices: z.strictObject({ nodeHour: price, clusterHour: price.optional(), loadBalancerHour: price.optional() }),
      })
      .meta({ description: 'Kubernetes on nodes (GKE Standard, DOKS): nodes for the pods the peak rate needs, plus cluster and load balancer' }),
    z
      .strictObject({
        ...common,
        billing: z.literal('pods'),
        pod: resources,
        minPods: count.default(1),
        headroom,
        prices: z.strictObject({ vcpuHour: price, gibHour: price, clusterHour: price.optional(), loadBalancerHour: price.optional() }),
      })
      .meta({ description: 'Kubernetes billed per pod resources (GKE Autopilot): the pods the peak rate needs, all month' }),
  ],
  { error: 'expected billing: requests, instances, nodes or pods' },
);

const priceSheetSchema = z.strictObject({
  $schema: z.string().optional(),
  currency: z.enum(CURRENCIES, { error: `expected a currency code: ${CURRENCIES.join(', ')}` }),
  hoursPerMonth: positive.default(730).meta({ description: 'Hours billed in a month (730: 365 days × 24 ÷ 12)' }),
  platforms: z.array(platform).min(1, { error: 'name at least one platform' }),
}) satisfies z.ZodType<PriceSheet & { $schema?: string }>;

/** Published as schema/prices.schema.json for editors. */
export function priceSheetJsonSchema(): object {
  return z.toJSONSchema(priceSheetSchema, { io: 'input', unrepresentable: 'any' });
}

export function parsePriceSheet(source: string, file: string, env: NodeJS.ProcessEnv = process.env): PriceSheet {
  const { $schema: _, ...sheet } = parseValidated(source, file, priceSheetSchema, priceSheetJsonSchema(), {
    env,
    codes: { syntax: 'CB_PRICES_SYNTAX', invalid: 'CB_PRICES_INVALID' },
    crossCheck: duplicateNames,
  }).data;
  return sheet;
}

/** One sheet, or several read as one (their platforms in order): they must share a currency and a month. */
export async function loadPriceSheets(files: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<PriceSheet> {
  const sheets: Array<{ file: string; sheet: PriceSheet }> = [];
  for (const file of files) {
    let source: string;
    try {
      source = await readFile(file, 'utf8');
    } catch (error) {
      throw new CbError('CB_PRICES_NOT_FOUND', `cannot read price sheet ${file}: ${(error as Error).message}`);
    }
    sheets.push({ file, sheet: parsePriceSheet(source, file, env) });
  }
  const [first, ...rest] = sheets;
  if (!first) throw new CbError('CB_USAGE', 'name at least one price sheet');
  for (const { file, sheet } of rest) {
    if (sheet.currency !== first.sheet.currency || sheet.hoursPerMonth !== first.sheet.hoursPerMonth) {
      throw new CbError(
        'CB_PRICES_INVALID',
        `${file} prices in ${sheet.currency} over ${sheet.hoursPerMonth} hours a month, ${first.file} in ${first.sheet.currency} over ${first.sheet.hoursPerMonth}: one table needs one currency and one month`,
      );
    }
  }
  const platforms = sheets.flatMap(({ sheet }) => sheet.platforms);
  const names = platforms.map((p) => p.name);
  const twice = names.find((name, i) => names.indexOf(name) !== i);
  if (twice) throw new CbError('CB_PRICES_INVALID', `platform "${twice}" is in more than one sheet (${files.join(', ')})`);
  return { ...first.sheet, platforms };
}

function duplicateNames(document: unknown) {
  const platforms = (document as { platforms?: unknown })?.platforms;
  const seen = new Set<unknown>();
  return (Array.isArray(platforms) ? platforms : []).flatMap((p, i) => {
    const name = (p as { name?: unknown })?.name;
    if (!seen.has(name)) return (seen.add(name), []);
    return [{ path: ['platforms', i, 'name'], message: `platform name "${String(name)}" is used twice` }];
  });
}
