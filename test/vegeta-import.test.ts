/**
 * `coldbench import vegeta` on results in Vegeta's own encodings (tsenart/vegeta
 * lib/results_json.go and lib/results.go): JSON (`{"attack":…,"seq":…,"code":…,"timestamp":
 * RFC 3339 with ns,"latency":ns,…}`) and CSV (timestamp ns, code, latency ns, bytes out, bytes
 * in, error, body base64, attack, seq), each result written when its response ended.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { distribution } from '../src/analysis/stats.js';
import { msToUs, newHistogram } from '../src/model/histogram.js';
import type { RunManifest } from '../src/model/manifest.js';
import type { LoadSample } from '../src/model/records.js';
import type { Summary } from '../src/model/summary.js';
import { CLI, storedSamples, tempDir } from './helpers.js';

const START = Date.parse('2026-11-27T12:00:00Z');

interface Hit {
  attack: string;
  seq: number;
  /** Epoch ms, with a fraction: Vegeta keeps ns. */
  at: number;
  latencyMs: number;
  code: number;
  error: string;
}

function hits(attack: string, count: number, failEvery = 0): Hit[] {
  return Array.from({ length: count }, (_, seq) => {
    const failed = failEvery > 0 && seq % failEvery === 0;
    const refused = failed && seq % (failEvery * 2) === 0;
    return {
      attack,
      seq,
      at: START + seq * 5 + 0.123456,
      latencyMs: 2 + ((seq * 13) % 90) + 0.5,
      code: refused ? 0 : failed ? 503 : 200,
      error: refused ? 'Get "http://k8s.example/": dial tcp 10.0.0.1:80: connect: connection refused' : failed ? '503 Service Unavailable' : '',
    };
  });
}

/** As Vegeta writes them: in the order responses ended. */
const byEnd = (list: Hit[]) => [...list].sort((a, b) => a.at + a.latencyMs - (b.at + b.latencyMs));
const rfc3339Nano = (ms: number) =>
  new Date(Math.floor(ms)).toISOString().replace(/\.(\d{3})Z$/, (_, f: string) => `.${f}${String(Math.round((ms % 1) * 1e6)).padStart(6, '0')}Z`);
const jsonLine = (h: Hit) =>
  `{"attack":"${h.attack}","seq":${h.seq},"code":${h.code},"timestamp":"${rfc3339Nano(h.at)}","latency":${Math.round(h.latencyMs * 1e6)},"bytes_out":0,"bytes_in":${h.code === 200 ? 2 : 0},"error":${JSON.stringify(h.error)},"body":"${h.code === 200 ? 'b2s=' : ''}","method":"GET","url":"http://${h.attack}.example/","headers":{"Content-Type":["text/plain"]}}`;
/** Go's encoding/csv quotes a field with a comma or a quote. */
const csvField = (text: string) => (/[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);
const csvLine = (h: Hit) =>
  [
    BigInt(Math.round(h.at * 1e6)),
    h.code,
    Math.round(h.latencyMs * 1e6),
    0,
    h.code === 200 ? 2 : 0,
    csvField(h.error),
    h.code === 200 ? 'b2s=' : '',
    h.attack,
    h.seq,
  ].join(',');

const importVegeta = (...args: string[]) => spawnSync(process.execPath, [CLI, 'import', 'vegeta', ...args], { encoding: 'utf8' });

describe('import vegeta', () => {
  it("reads Vegeta's JSON (plain and .gz) and CSV into one run, a target per attack, latency from the scheduled send, samples in start order", () => {
    const dir = tempDir();
    const k8s = hits('k8s', 300, 10);
    const cloudrun = hits('cloudrun', 200);
    writeFileSync(join(dir, 'k8s.json'), byEnd(k8s.slice(0, 150)).map(jsonLine).join('\n') + '\n');
    writeFileSync(join(dir, 'k8s-2.json.gz'), gzipSync(byEnd(k8s.slice(150)).map(jsonLine).join('\n') + '\n'));
    writeFileSync(join(dir, 'cloudrun.csv'), byEnd(cloudrun).map(csvLine).join('\n') + '\n');
    const result = importVegeta(
      join(dir, 'k8s.json'),
      join(dir, 'k8s-2.json.gz'),
      join(dir, 'cloudrun.csv'),
      '--out',
      join(dir, 'out'),
      '--json',
      '--stage',
      '10x',
    );
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, /imported 500 vegeta requests from 3 file\(s\)/);
    const summary = JSON.parse(result.stdout) as Summary;
    const stage = summary.targets.k8s!.load!['10x']!;
    assert.deepEqual([stage.requests, stage.errors, stage.errorsByClass], [300, 30, { 'status-5xx': 15, other: 15 }]);
    const expected = newHistogram();
    for (const h of k8s) if (h.code === 200) expected.recordValue(msToUs(h.latencyMs));
    assert.deepEqual(stage.latencyMs, distribution(expected), "Vegeta's latency, from its scheduled send, is the corrected latency");
    assert.equal(summary.targets.cloudrun!.load!['10x']!.requests, 200);
    const runDir = join(dir, 'out', readdirSync(join(dir, 'out'))[0]!);
    const starts = storedSamples<LoadSample>(runDir).map((s) => s.intendedAt);
    assert.deepEqual(
      starts,
      [...starts].sort((a, b) => a - b),
      'every sample in start order',
    );
    assert.ok(storedSamples<LoadSample>(runDir).some((s) => s.error?.message.includes('connection refused')));
    assert.equal((JSON.parse(readFileSync(join(runDir, 'manifest.json'), 'utf8')) as RunManifest).provenance.producer, 'import vegeta');
  });

  it('judges --slo on that latency as corrected latency, and exits 1 where the data misses it', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'k8s.json'), byEnd(hits('k8s', 400)).map(jsonLine).join('\n') + '\n');
    const result = importVegeta(join(dir, 'k8s.json'), '--out', join(dir, 'out'), '--slo', 'p95=< 50ms');
    assert.equal(result.status, 1, result.stdout);
    assert.match(result.stdout, /p95 < 50.0ms: FAIL \(p95 86.5ms over 400 requests/);
    assert.doesNotMatch(result.stdout, /p95 uncorrected/);
  });

  it("refuses Vegeta's gob output with the command that converts it, and another tool's file with the format it is (both ways)", () => {
    const dir = tempDir();
    // The start of a gob stream of vegeta.Result values: type definitions name the struct and its fields.
    writeFileSync(
      join(dir, 'results.bin'),
      Buffer.concat([Buffer.from([0x7f, 0xff, 0x81, 0x03, 0x01, 0x01, 0x06]), Buffer.from('Result\x01\xff\x82\x00\x01\x09\x01\x06Attack')]),
    );
    const gob = importVegeta(join(dir, 'results.bin'), '--out', dir);
    assert.equal(gob.status, 3);
    assert.match(
      gob.stderr,
      /^CB_IMPORT_UNREADABLE: \S+results\.bin is vegeta's binary \(gob\) results: convert them with `vegeta encode --to json results\.bin > results\.json`/,
    );
    writeFileSync(join(dir, 'k6.json'), '{"type":"Point","metric":"http_reqs","data":{"time":"2026-11-27T12:00:00Z","value":1,"tags":{}}}\n');
    const k6 = importVegeta(join(dir, 'k6.json'), '--out', dir);
    assert.equal(k6.status, 3);
    assert.match(k6.stderr, /k6\.json is k6's JSON output \(use coldbench import k6\); import vegeta reads vegeta's JSON or CSV encoding/);
    writeFileSync(join(dir, 'k8s.json'), byEnd(hits('k8s', 3)).map(jsonLine).join('\n') + '\n');
    const vegetaAsK6 = spawnSync(process.execPath, [CLI, 'import', 'k6', join(dir, 'k8s.json'), '--out', dir], { encoding: 'utf8' });
    assert.equal(vegetaAsK6.status, 3);
    assert.match(
      vegetaAsK6.stderr,
      /^CB_IMPORT_UNREADABLE: \S+k8s\.json is vegeta's JSON results \(use coldbench import vegeta\); import k6 reads k6's JSON or CSV output/,
    );
  });
});
