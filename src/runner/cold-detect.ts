/**
 * Was this request served by a cold instance? Evidence is taken in order of strength, and
 * the first kind present decides; the reason is kept with the sample.
 */
import type { Identity } from '../scenario/schema.js';
import type { ColdState, InstanceIdentity } from '../model/records.js';

export interface ColdEvidence {
  headers: Record<string, string>;
  body?: string;
  ttfbMs?: number;
}

export interface ColdVerdict {
  cold: ColdState;
  reason: string;
  instance?: InstanceIdentity;
}

export function detectCold(identity: Identity, evidence: ColdEvidence, seenInstanceIds: ReadonlySet<string>): ColdVerdict {
  const header = (name: string) => evidence.headers[name.toLowerCase()];
  const fromBody = bodyFields(identity, evidence.body);
  const instance = compact({
    id: header(identity.instanceIdHeader) ?? fromBody.instanceId,
    requestCount: toNumber(header(identity.requestCountHeader)) ?? toNumber(fromBody.requestCount),
    uptimeMs: toNumber(header(identity.uptimeHeader)) ?? toNumber(fromBody.uptimeMs),
  });
  const result = (cold: ColdState, reason: string): ColdVerdict => ({ cold, reason, instance });

  const explicit = header(identity.coldStartHeader) ?? fromBody.cold;
  if (explicit !== undefined) return result(/^(true|1|yes)$/i.test(explicit.trim()), `${identity.coldStartHeader}: ${explicit}`);
  if (instance?.requestCount !== undefined) {
    return result(instance.requestCount === 1, `instance request count ${instance.requestCount}`);
  }
  if (instance?.uptimeMs !== undefined) {
    const cold = instance.uptimeMs < identity.coldUptime;
    return result(cold, `instance uptime ${instance.uptimeMs}ms ${cold ? '<' : '≥'} ${identity.coldUptime}ms`);
  }
  if (instance?.id !== undefined) {
    const isNew = !seenInstanceIds.has(instance.id);
    return result(isNew, isNew ? 'instance id new to this run' : 'instance id seen before in this run');
  }
  if (identity.coldLatency !== undefined && evidence.ttfbMs !== undefined) {
    const cold = evidence.ttfbMs > identity.coldLatency;
    return result(cold, `time to first byte ${cold ? '>' : '≤'} ${identity.coldLatency}ms (latency threshold, weakest evidence)`);
  }
  return result('unknown', 'no identity headers, body fields or latency threshold');
}

function bodyFields(identity: Identity, body: string | undefined): Record<string, string | undefined> {
  if (!identity.body || body === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return {};
  }
  const read = (path: string | undefined) => {
    if (path === undefined) return undefined;
    const value = path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], parsed);
    return value === undefined || value === null ? undefined : String(value);
  };
  return {
    instanceId: read(identity.body.instanceId),
    requestCount: read(identity.body.requestCount),
    uptimeMs: read(identity.body.uptimeMs),
    cold: read(identity.body.cold),
  };
}

function toNumber(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

function compact(identity: InstanceIdentity): InstanceIdentity | undefined {
  const entries = Object.entries(identity).filter(([, value]) => value !== undefined);
  return entries.length ? (Object.fromEntries(entries) as InstanceIdentity) : undefined;
}
