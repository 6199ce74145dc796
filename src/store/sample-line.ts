/**
 * One line of samples.jsonl. Load samples, tens of thousands a second, are written by hand
 * in a fixed field order: half the time of JSON.stringify (1.6 against 3.0 µs a sample on
 * this machine), the same JSON once parsed. Everything else goes through JSON.stringify.
 */
import type { LoadSample, StoredSample } from '../model/records.js';

const text = JSON.stringify;

export function sampleLine(sample: StoredSample): string {
  return sample.type === 'sample' && sample.kind === 'load' ? loadLine(sample) : text(sample) + '\n';
}

function loadLine(s: LoadSample): string {
  let line = `{"type":"sample","kind":"load","probe":${text(s.probe)},"target":${text(s.target)},"stage":${text(s.stage)},"intendedAt":${s.intendedAt}`;
  if (s.startedAt !== undefined) line += `,"startedAt":${s.startedAt}`;
  if (s.dropped) line += ',"dropped":true';
  if (s.latencyMs !== undefined) line += `,"latencyMs":${s.latencyMs}`;
  if (s.uncorrectedLatencyMs !== undefined) line += `,"uncorrectedLatencyMs":${s.uncorrectedLatencyMs}`;
  if (s.ttfbMs !== undefined) line += `,"ttfbMs":${s.ttfbMs}`;
  if (s.scheduleLagMs !== undefined) line += `,"scheduleLagMs":${s.scheduleLagMs}`;
  line += `,"ok":${s.ok}`;
  if (s.status !== undefined) line += `,"status":${s.status}`;
  line += `,"bytes":${s.bytes}`;
  if (s.error !== undefined) line += `,"error":${text(s.error)}`;
  if (s.instanceId !== undefined) line += `,"instanceId":${text(s.instanceId)}`;
  return line + '}\n';
}
