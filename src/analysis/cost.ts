/**
 * The migration study's cost table, computed: for each platform of a price sheet and each
 * traffic level, the monthly cost from what the run measured on the platform's target.
 *
 * - Request- and instance-based billing (Cloud Run) use the instance time per request of
 *   the load stage whose rate is nearest the traffic's mean rate (billable.ts), so the
 *   packing of requests onto instances is the one measured at about that rate.
 * - Node- and pod-based billing (Kubernetes) size pods for the peak rate (mean × peak-to-mean)
 *   at the capacity one instance held within the SLO (a capacity search), with headroom.
 *
 * Each cell has a 90% interval: a bootstrap over the stage's instances (resampled with
 * replacement; an instance's requests share its busy time, so it is the unit) and over the
 * capacity, drawn uniformly between the rate that held and the rate that broke (what the
 * search could tell apart). Pure: the run and the sheet in, a report out.
 */
import { CbError } from '../model/errors.js';
import type { CostCell, CostReport, PlatformCost, PlatformPricing, Price, PriceSheet } from '../model/price-sheet.js';
import { seededRandom } from '../model/random.js';
import type { Summary } from '../model/summary.js';
import { formatCount, formatRate } from '../model/units.js';
import { instanceTimes, type InstanceTime } from './billable.js';
import { stageKey, type StoredRun } from './stored-run.js';
import { round3 } from './stats.js';

const REPLICATES = 2000;
/** Fewer instances than this cannot be resampled into an interval worth the name: it is left unbounded, and said so. */
const MIN_INSTANCES_TO_RESAMPLE = 5;
const SEED = 0x5eed;
/** A traffic level's mean rate further than this factor from every measured stage's rate is an extrapolation, and said so. */
const EXTRAPOLATION_FACTOR = 3;

/** One load stage's instance time, per instance. */
interface StageInstanceTime {
  stage: string;
  rate: number;
  instances: InstanceTime[];
  /** Assumed, not measured: every instance alive the whole stage (--instances without identities). */
  assumed?: string;
}

/** What the run measured on one target, for pricing. */
interface TargetMeasurements {
  stages: StageInstanceTime[];
  /** Requests per second one instance holds within the SLO: held (point) up to broken. */
  capacity: { perInstance: number; high: number; instances: number; heldRate: number; assumed?: string } | null;
}

export type CostMeasurements = Record<string, TargetMeasurements>;

/** The instance header options a run without instance ids needs, named in the error. */
const IDENTITY_HINT = 'have the service answer with X-Instance-Id (or set the target’s instanceIdHeader to a header it sends), or give --instances N';

/** What a run measured per target; `instances` stands in for identities a run lacks. */
export function costMeasurements(run: StoredRun, summary: Summary, instances?: number): CostMeasurements {
  const out: CostMeasurements = {};
  for (const [target, entry] of Object.entries(summary.targets)) {
    const stages = Object.entries(entry.load ?? {}).flatMap(([stage, load]): StageInstanceTime[] => {
      const busy = run.load.get(stageKey(load.probe, target, stage))?.busy;
      if (busy && busy.size > 0) return [{ stage, rate: load.achievedRate, instances: instanceTimes(busy) }];
      if (!instances || load.requests === 0) return [];
      const each: InstanceTime = { requests: load.requests / instances, busyMs: load.durationMs, billedMs: load.durationMs, lifetimeMs: load.durationMs };
      return [
        { stage, rate: load.achievedRate, instances: Array(instances).fill(each), assumed: `${instances} instances (--instances) alive the whole stage` },
      ];
    });
    const search = entry.capacitySearch;
    let capacity: TargetMeasurements['capacity'] = null;
    if (search?.heldRate) {
      const count = search.instances ?? instances;
      if (count) {
        capacity = {
          perInstance: search.heldRate / count,
          high: (search.brokenRate ?? search.heldRate) / count,
          instances: count,
          heldRate: search.heldRate,
          ...(search.instances === null && { assumed: `${count} instances (--instances)` }),
        };
      }
    }
    out[target] = { stages, capacity };
  }
  return out;
}

export interface CostOptions {
  /** Requests a month. */
  traffic: number[];
  peakToMean: number;
  /** The largest interval half-width, as a share of the cost, that is still "predictable". */
  within: number;
}

export function costReport(sheet: PriceSheet, measured: CostMeasurements, options: CostOptions): CostReport {
  const monthSeconds = sheet.hoursPerMonth * 3600;
  const platforms = sheet.platforms.map((platform): PlatformCost => {
    const target = measured[platform.target];
    if (!target)
      throw new CbError('CB_COST_UNMEASURED', `${platform.name}: the run has no target "${platform.target}" (targets: ${Object.keys(measured).join(', ')})`);
    const cells = options.traffic.map((requests) => priceCell(platform, target, requests, monthSeconds, sheet.hoursPerMonth, options.peakToMean));
    const few = cells.find((c) => c.stage && c.stage.instances.length < MIN_INSTANCES_TO_RESAMPLE)?.stage;
    const unbounded = few
      ? `measured over ${plural(few.instances.length, 'instance')} (${few.stage}): too few to resample into an interval (${MIN_INSTANCES_TO_RESAMPLE} or more)`
      : null;
    const spread = unbounded ? null : Math.max(...cells.map((c) => (c.cost > 0 ? (c.high - c.low) / 2 / c.cost : 0)));
    return {
      name: platform.name,
      target: platform.target,
      billing: platform.billing,
      cells: cells.map(({ cell }) => (unbounded ? { ...cell, low: null, high: null } : cell)),
      spread: spread === null ? null : round3(spread),
      predictable: spread !== null && spread <= options.within,
      unbounded,
      assumptions: assumptions(platform, target, cells, monthSeconds, options.peakToMean),
      sources: Object.entries(platform.prices as Record<string, Price | undefined>).flatMap(([name, p]) => (p ? [{ price: name, ...p }] : [])),
    };
  });
  return { currency: sheet.currency, peakToMean: options.peakToMean, within: options.within, hoursPerMonth: sheet.hoursPerMonth, platforms };
}

interface PricedCell {
  cell: CostCell;
  cost: number;
  low: number;
  high: number;
  /** The stage whose instance time priced it (request- and instance-based billing). */
  stage?: StageInstanceTime;
}

function priceCell(
  platform: PlatformPricing,
  target: TargetMeasurements,
  requests: number,
  monthSeconds: number,
  hours: number,
  peakToMean: number,
): PricedCell {
  const meanRate = requests / monthSeconds;
  const random = seededRandom(SEED);
  let point: { cost: number; sizing: string };
  let replicates: number[];
  let stage: StageInstanceTime | undefined;
  if (platform.billing === 'requests' || platform.billing === 'instances') {
    stage = nearestStage(platform, target, meanRate);
    const field = BILLED_TIME[platform.billing];
    const price = (instances: readonly InstanceTime[]) => {
      const perRequest = sum(instances, field) / 1000 / sum(instances, 'requests');
      return platform.billing === 'requests'
        ? requestBilledCost(platform, requests, perRequest, monthSeconds)
        : instanceBilledCost(platform, requests, perRequest, monthSeconds);
    };
    point = price(stage.instances);
    replicates = Array.from(
      { length: REPLICATES },
      () => price(Array.from(stage!.instances, () => stage!.instances[Math.floor(random() * stage!.instances.length)]!)).cost,
    );
  } else {
    const capacity = target.capacity;
    if (!capacity) {
      throw new CbError(
        'CB_COST_UNMEASURED',
        `${platform.name}: target ${platform.target} has no capacity per instance: run a capacity search on it (a load probe with search:), with instance ids (${IDENTITY_HINT})`,
      );
    }
    const peak = meanRate * peakToMean;
    const price = (perInstance: number) =>
      platform.billing === 'nodes' ? nodeCost(platform, peak, perInstance, hours) : podCost(platform, peak, perInstance, hours);
    point = price(capacity.perInstance);
    replicates = Array.from({ length: REPLICATES }, () => price(capacity.perInstance + random() * (capacity.high - capacity.perInstance)).cost);
  }
  replicates.sort((a, b) => a - b);
  const [low, high] = [replicates[Math.floor(0.05 * (REPLICATES - 1))]!, replicates[Math.ceil(0.95 * (REPLICATES - 1))]!];
  const cents = (value: number) => Math.round(value * 100) / 100;
  return {
    cell: {
      requestsPerMonth: requests,
      cost: cents(point.cost),
      low: cents(Math.min(low, point.cost)),
      high: cents(Math.max(high, point.cost)),
      sizing: point.sizing,
    },
    cost: point.cost,
    low: Math.min(low, point.cost),
    high: Math.max(high, point.cost),
    ...(stage && { stage }),
  };
}

/** The stage measured at the rate nearest the traffic's mean rate (on a log scale). */
function nearestStage(platform: PlatformPricing, target: TargetMeasurements, meanRate: number): StageInstanceTime {
  if (target.stages.length === 0) {
    throw new CbError(
      'CB_COST_UNMEASURED',
      `${platform.name}: target ${platform.target} has no load stage with instance ids, so no instance time per request was measured: ${IDENTITY_HINT}`,
    );
  }
  const distance = (s: StageInstanceTime) => Math.abs(Math.log(Math.max(s.rate, 1e-9) / meanRate));
  const requests = (s: StageInstanceTime) => sum(s.instances, 'requests');
  // Between stages at one rate (a search step and its warm-up), the one with more requests.
  return target.stages.reduce((best, s) => (distance(s) < distance(best) || (distance(s) === distance(best) && requests(s) > requests(best)) ? s : best));
}

const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;
const positive = (value: number) => Math.max(0, value);
const sum = <K extends keyof InstanceTime>(items: readonly InstanceTime[], key: K) => items.reduce((total, item) => total + item[key], 0);

/** Which instance time each serverless billing charges: busy periods rounded up, or whole lifetimes. */
const BILLED_TIME = { requests: 'billedMs', instances: 'lifetimeMs' } as const;

/** Instance-seconds of vCPU and memory past the free tier, as both serverless billings charge them. */
function resourceCost(platform: Extract<PlatformPricing, { billing: 'requests' | 'instances' }>, instanceSeconds: number) {
  const { instance, free, prices } = platform;
  const cost =
    positive(instanceSeconds * instance.vcpu - free.vcpuSeconds) * prices.vcpuSecond.value +
    positive(instanceSeconds * instance.memoryGiB - free.gibSeconds) * prices.gibSecond.value;
  return { cost, sizing: `${Math.round(instanceSeconds).toLocaleString('en')} instance-s` };
}

function requestBilledCost(platform: Extract<PlatformPricing, { billing: 'requests' }>, requests: number, secondsPerRequest: number, monthSeconds: number) {
  const { cost, sizing } = resourceCost(platform, requests * secondsPerRequest + platform.minInstances * monthSeconds);
  return { cost: cost + (positive(requests - platform.free.requests) / 1e6) * platform.prices.millionRequests.value, sizing };
}

function instanceBilledCost(platform: Extract<PlatformPricing, { billing: 'instances' }>, requests: number, secondsPerRequest: number, monthSeconds: number) {
  return resourceCost(platform, Math.max(requests * secondsPerRequest, platform.minInstances * monthSeconds));
}

const podsFor = (peak: number, perInstance: number, headroom: number, minPods: number) => Math.max(minPods, Math.ceil(peak / (perInstance * (1 - headroom))));
const fees = (prices: { clusterHour?: Price; loadBalancerHour?: Price }) => (prices.clusterHour?.value ?? 0) + (prices.loadBalancerHour?.value ?? 0);

function nodeCost(platform: Extract<PlatformPricing, { billing: 'nodes' }>, peak: number, perInstance: number, hours: number) {
  const pods = podsFor(peak, perInstance, platform.headroom, platform.minPods);
  const nodes = Math.max(platform.minNodes, Math.ceil(pods / platform.node.podsPerNode));
  return { cost: hours * (nodes * platform.prices.nodeHour.value + fees(platform.prices)), sizing: `${pods} pods on ${nodes} × ${platform.node.type}` };
}

function podCost(platform: Extract<PlatformPricing, { billing: 'pods' }>, peak: number, perInstance: number, hours: number) {
  const pods = podsFor(peak, perInstance, platform.headroom, platform.minPods);
  const { pod, prices } = platform;
  return { cost: hours * (pods * (pod.vcpu * prices.vcpuHour.value + pod.memoryGiB * prices.gibHour.value) + fees(prices)), sizing: `${pods} pods` };
}

function assumptions(platform: PlatformPricing, target: TargetMeasurements, cells: PricedCell[], monthSeconds: number, peakToMean: number): string[] {
  const out: string[] = [];
  if (platform.billing === 'requests' || platform.billing === 'instances') {
    const what = platform.billing === 'requests' ? 'request-billed instance time (busy periods rounded up to 100 ms)' : 'instance lifetime';
    const field = BILLED_TIME[platform.billing];
    for (const stage of new Set(cells.map((c) => c.stage!))) {
      const levels = cells.filter((c) => c.stage === stage);
      const perThousand = round3(sum(stage.instances, field) / sum(stage.instances, 'requests'));
      const measuredAt = `${platform.target} ${stage.stage} at ${formatRate(stage.rate)}`;
      out.push(
        `${levels.map((c) => formatCount(c.cell.requestsPerMonth)).join(', ')}/month: ${what} of ${perThousand} s per 1,000 requests, measured on ${measuredAt} over ${plural(stage.instances.length, 'instance')}${stage.assumed ? ` (assumed: ${stage.assumed})` : ''}`,
      );
      const far = levels.filter((c) => {
        const mean = c.cell.requestsPerMonth / monthSeconds;
        return stage.rate > mean * EXTRAPOLATION_FACTOR || stage.rate < mean / EXTRAPOLATION_FACTOR;
      });
      if (far.length) {
        out.push(
          `extrapolated: ${far.map((c) => `${formatCount(c.cell.requestsPerMonth)}/month is ${formatRate(c.cell.requestsPerMonth / monthSeconds)} on average`).join(', ')}, far from ${formatRate(stage.rate)} measured; instances pack requests differently at other rates`,
        );
      }
    }
    if (platform.minInstances > 0) out.push(`${plural(platform.minInstances, 'minimum instance')} billed all month at the busy price (an upper bound)`);
  } else {
    const c = target.capacity!;
    out.push(
      `one pod holds ${formatRate(c.perInstance)} within the SLO (${formatRate(c.heldRate)} held on ${plural(c.instances, 'instance')}${c.assumed ? `, assumed: ${c.assumed}` : ''}; up to ${formatRate(c.high)} before it broke), sized for the peak (mean × ${peakToMean}) with ${round3(platform.headroom * 100)}% headroom, at least ${platform.minPods} pods`,
    );
  }
  return out;
}
