import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectCold } from '../src/runner/cold-detect.js';
import { parseScenario } from '../src/scenario/read.js';

function identity(extra = '') {
  const plan = parseScenario(
    `name: x\ntargets:\n  a:\n    url: http://127.0.0.1:1\n    identity: {${extra}}\nprobes: [{ kind: coldstart, samples: 1 }]\n`,
    'x.yaml',
  );
  return plan.scenario.targets.a!.identity;
}

describe('cold detection', () => {
  it('trusts an explicit cold-start header over everything else', () => {
    const verdict = detectCold(identity(), { headers: { 'x-keda-http-cold-start': 'false', 'x-req-count': '1' } }, new Set());
    assert.deepEqual([verdict.cold, verdict.reason], [false, 'x-keda-http-cold-start: false']);
  });

  it('takes request count 1 as cold, and a higher one as warm', () => {
    assert.equal(detectCold(identity(), { headers: { 'x-req-count': '1', 'x-uptime-ms': '999999' } }, new Set()).cold, true);
    const warm = detectCold(identity(), { headers: { 'x-req-count': '7', 'x-instance-id': 'new' } }, new Set());
    assert.deepEqual([warm.cold, warm.reason, warm.instance], [false, 'instance request count 7', { id: 'new', requestCount: 7 }]);
  });

  it('falls back to uptime, then to a new instance id', () => {
    assert.equal(detectCold(identity('coldUptime: 10s'), { headers: { 'x-uptime-ms': '9000' } }, new Set()).cold, true);
    assert.equal(detectCold(identity('coldUptime: 10s'), { headers: { 'x-uptime-ms': '11000' } }, new Set()).cold, false);
    assert.equal(detectCold(identity(), { headers: { 'x-instance-id': 'a' } }, new Set(['a'])).cold, false);
    assert.equal(detectCold(identity(), { headers: { 'x-instance-id': 'b' } }, new Set(['a'])).cold, true);
  });

  it('reads identity from configured header names and JSON body paths', () => {
    const custom = identity('requestCountHeader: x-served, body: { uptimeMs: meta.uptime }');
    assert.equal(detectCold(custom, { headers: { 'x-served': '1' } }, new Set()).cold, true);
    const fromBody = detectCold(custom, { headers: {}, body: '{"meta":{"uptime":120}}' }, new Set());
    assert.deepEqual([fromBody.cold, fromBody.instance], [true, { uptimeMs: 120 }]);
  });

  it('uses a latency threshold only as a last resort, and otherwise says it does not know', () => {
    assert.equal(detectCold(identity('coldLatency: 1s'), { headers: {}, ttfbMs: 1500 }, new Set()).cold, true);
    assert.equal(detectCold(identity('coldLatency: 1s'), { headers: {}, ttfbMs: 50 }, new Set()).cold, false);
    assert.equal(detectCold(identity(), { headers: {}, ttfbMs: 5000 }, new Set()).cold, 'unknown');
  });
});
