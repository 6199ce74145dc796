/**
 * JUnit XML for CI: one testcase per verdict. fail → <failure>; a verdict that could not be
 * decided (inconclusive, insufficient, invalid, no-data) → <error>, so a CI view never shows
 * it as passed; the message carries observed, threshold and interval.
 */
import * as junitModule from 'junit-report-builder';
import type { Builder } from 'junit-report-builder';
import type { Summary, VerdictResult } from '../model/summary.js';
import { verdictLine } from './text.js';

// The package is CommonJS with a default export its types describe as the module itself.
const junit = (junitModule as unknown as { default: Builder }).default;

/** `incomplete`: why the run did not complete, written as an erroring testcase so no CI view shows the run as passed. */
export function renderJUnit(summary: Summary, hostname: string, { incomplete }: { incomplete?: string | null } = {}): string {
  const builder = junit.newBuilder().name(`coldbench ${summary.scenario}`);
  const suite = builder
    .testSuite()
    .name(`coldbench: ${summary.scenario}`)
    .timestamp(summary.startedAt)
    .time(durationSeconds(summary))
    .property('runId', summary.runId)
    .property('status', summary.status)
    .property('hostname', hostname);
  for (const [probe, stages] of Object.entries(summary.client)) {
    for (const [stage, delay] of Object.entries(stages)) {
      if (delay) suite.property(`client.${probe}.${stage}.eventLoopDelayP99Ms`, String(delay.p99));
    }
  }
  if (incomplete) suite.testCase().className('coldbench.run').name('the run completed').time(0).error(`INCOMPLETE: ${incomplete}`, summary.status);
  for (const verdict of summary.verdicts) {
    const testCase = suite.testCase().className(`coldbench.${verdict.id}`).name(verdict.title).time(0);
    const message = failureMessage(verdict);
    if (verdict.status === 'fail') testCase.failure(message, 'fail');
    else if (verdict.status !== 'pass') testCase.error(message, verdict.status, verdict.detail);
    testCase.standardOutput(`${verdictLine(verdict)}\n${verdict.detail}`);
  }
  return builder.build();
}

function failureMessage(verdict: VerdictResult): string {
  const observed = verdict.observed === null ? 'no observation' : `observed ${verdict.observed}`;
  const interval = verdict.ci ? ` [${verdict.ci.low}–${verdict.ci.high}] (${Math.round(verdict.ci.confidence * 100)}% interval)` : '';
  return `${verdict.status.toUpperCase()}: ${observed}${interval}, threshold ${verdict.threshold}. ${verdict.detail}`;
}

function durationSeconds(summary: Summary): number {
  return summary.endedAt ? Math.max(0, (Date.parse(summary.endedAt) - Date.parse(summary.startedAt)) / 1000) : 0;
}
