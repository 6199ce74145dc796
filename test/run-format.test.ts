/**
 * The run directory as other tools meet it: interval logs that the reference Java
 * HdrHistogram reads, records that follow the published schema, and the sink seam that
 * keeps a slow or failing sink from costing the run.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import fc from 'fast-check';
import { loadRun } from '../src/analysis/run-data.js';
import { distribution } from '../src/analysis/stats.js';
import type { LoadSample, RunRecord } from '../src/model/records.js';
import { runScenario } from '../src/run-scenario.js';
import { sampleLine } from '../src/store/sample-line.js';
import { HistogramSet, type HistogramsFile } from '../src/store/histograms.js';
import { keyOf } from '../src/model/histogram.js';
import { parseScenario } from '../src/scenario/read.js';
import type { Sink } from '../src/model/sink.js';
import type { RunManifest } from '../src/model/manifest.js';
import { coldbench, readJsonLines, ROOT, serve, storedSamples, tempDir } from './helpers.js';
import { openLoadSampleLog, readLoadSampleFile } from '../src/store/load-sample-file.js';

const HDR_JAR = '/usr/share/java/hdrhistogram.jar';

async function loadRun2s(sinks: Sink[] = []) {
  const url = await serve((_, res) => setTimeout(() => res.end('ok'), 2 + Math.random() * 8));
  const text = `name: format\ntargets:\n  a: { url: "${url}" }\n  b: { url: "${url}" }\nprobes:\n  - kind: load\n    stages: [{ name: warm, rate: 100/s, duration: 1s }, { name: hot, rate: 300/s, duration: 2s }]\n`;
  return runScenario(parseScenario(text, 'format.yaml'), { outDir: tempDir(), sinks });
}

describe('the run directory', () => {
  it('writes interval logs that the reference Java HdrHistogram reads to the same counts and percentiles', async () => {
    assert.ok(existsSync(HDR_JAR), `${HDR_JAR} is missing: apt-get install default-jdk-headless libhdrhistogram-java (as .ci/run does)`);
    const outcome = await loadRun2s();
    const log = join(outcome.dir, 'intervals.hlog');
    const java = execFileSync('java', ['-cp', HDR_JAR, join(ROOT, 'test/fixtures/ReadIntervals.java'), log], { encoding: 'utf8' });
    const byTag = new Map(
      java
        .trim()
        .split('\n')
        .map((line) => {
          const [tag, ...numbers] = line.split(' ');
          return [tag!, numbers.map(Number)] as const;
        }),
    );
    const run = loadRun(outcome.dir);
    assert.ok(run.histograms.byKey.size >= 8, `${run.histograms.byKey.size} histograms`);
    for (const { key, histogram } of run.histograms.byKey.values()) {
      const tag = [key.target, key.probe, key.stage, key.metric].join('/');
      const fromJava = byTag.get(tag);
      assert.ok(fromJava, `Java read no ${tag}: ${java}`);
      const [count, p50, p99, max, intervals] = fromJava;
      assert.deepEqual(
        [count, p50, p99, max],
        [histogram.totalCount, histogram.getValueAtPercentile(50), histogram.getValueAtPercentile(99), histogram.getValueAtPercentile(100)],
        tag,
      );
      if (key.target !== '@coldbench') assert.ok(intervals! >= 1 && intervals! <= 4, `${tag} spans ${intervals} one-second intervals`);
    }
    // histograms.json, for other tools, holds the sums of the interval log: the same counts and percentiles.
    const totals = HistogramSet.fromFile(JSON.parse(readFileSync(join(outcome.dir, 'histograms.json'), 'utf8')) as HistogramsFile);
    assert.equal(totals.byKey.size, run.histograms.byKey.size);
    for (const { key, histogram } of run.histograms.byKey.values()) {
      const total = totals.get(key);
      assert.deepEqual(
        [total?.totalCount, total?.getValueAtPercentile(99), total?.getValueAtPercentile(100)],
        [histogram.totalCount, histogram.getValueAtPercentile(99), histogram.getValueAtPercentile(100)],
        keyOf(key),
      );
    }
    // …and they are what the summary reports: every successful request once.
    const hot = outcome.summary.targets.a!.load!.hot!;
    assert.equal(byTag.get('a/load/hot/latency')![0], hot.successes);
    assert.equal(distribution(run.histograms.get({ target: 'a', probe: 'load', stage: 'hot', metric: 'latency' }))!.p99, hot.latencyMs!.p99);
  });

  it('describes itself: format, provenance, targets and verdicts in the manifest; every record follows schema/records.schema.json', async () => {
    const outcome = await loadRun2s();
    const manifest = JSON.parse(readFileSync(join(outcome.dir, 'manifest.json'), 'utf8')) as RunManifest;
    assert.equal(manifest.format, 3);
    assert.equal(manifest.provenance.producer, 'coldbench run');
    assert.deepEqual(
      manifest.provenance.runners.map((r) => r.segment),
      ['0:1'],
    );
    assert.deepEqual(manifest.targets, ['a', 'b']);
    const validate = new Ajv({ strict: false }).compile(JSON.parse(readFileSync(join(ROOT, 'schema/records.schema.json'), 'utf8')));
    const records = [...readJsonLines<RunRecord>(join(outcome.dir, 'series.jsonl')), ...storedSamples(outcome.dir)];
    assert.ok(records.some((r) => r.type === 'probe') && records.some((r) => r.type === 'sample'));
    for (const record of records) assert.ok(validate(record), `${JSON.stringify(record)}: ${JSON.stringify(validate.errors)}`);
  });

  it('streams the stored samples out as JSON lines or CSV, filtered by --where, and names a field it cannot filter by', async () => {
    const outcome = await loadRun2s();
    const stored = storedSamples<LoadSample>(outcome.dir);
    const jsonl = await coldbench('samples', outcome.dir);
    assert.equal(jsonl.code, 0, jsonl.stderr);
    assert.deepEqual(
      jsonl.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
      JSON.parse(JSON.stringify(stored)),
    );
    const csv = await coldbench('samples', outcome.dir, '--format', 'csv', '--where', 'target=b,stage=hot');
    assert.equal(csv.code, 0, csv.stderr);
    const [header, ...rows] = csv.stdout.trim().split('\n');
    const columns = header!.split(',');
    const hot = stored.filter((s) => s.target === 'b' && s.stage === 'hot');
    assert.equal(rows.length, hot.length);
    assert.equal(hot.length, outcome.summary.targets.b!.load!.hot!.requests);
    const cell = (row: string, column: string) => row.split(',')[columns.indexOf(column)];
    assert.deepEqual(
      rows.map((row) => [cell(row, 'target'), cell(row, 'stage'), Number(cell(row, 'latencyMs'))]),
      hot.map((s) => ['b', 'hot', s.latencyMs]),
    );
    assert.match(csv.stderr, new RegExp(`^${hot.length} samples where target=b,stage=hot\n$`));
    const wrong = await coldbench('samples', outcome.dir, '--where', 'region=eu');
    assert.equal(wrong.code, 3);
    assert.match(wrong.stderr, /^CB_USAGE: --where "region=eu" is not field=value with a field among kind, target, probe, stage, ok, status, error, code\n/);
  });

  it('still reads a format 2 run, whose load samples are JSON lines, to the same figures', async () => {
    const outcome = await loadRun2s();
    const stored = storedSamples(outcome.dir);
    writeFileSync(join(outcome.dir, 'samples.jsonl'), stored.map(sampleLine).join(''));
    rmSync(join(outcome.dir, 'samples.bin'));
    rmSync(join(outcome.dir, 'samples.dict.jsonl'));
    const manifest = JSON.parse(readFileSync(join(outcome.dir, 'manifest.json'), 'utf8')) as RunManifest;
    writeFileSync(join(outcome.dir, 'manifest.json'), JSON.stringify({ ...manifest, format: 2 }));
    const report = await coldbench('report', outcome.dir, '--json');
    assert.equal(report.code, 0, report.stderr);
    assert.deepEqual(JSON.parse(report.stdout).targets, JSON.parse(JSON.stringify(outcome.summary.targets)));
  });

  it('writes load sample lines by hand that parse to exactly what JSON.stringify writes', () => {
    const time = fc.double({ noNaN: true, noDefaultInfinity: true });
    const name = fc.string({ unit: 'binary', maxLength: 12 });
    const sample = fc.record(
      {
        type: fc.constant('sample' as const),
        kind: fc.constant('load' as const),
        probe: name,
        target: name,
        stage: name,
        intendedAt: time,
        startedAt: time,
        dropped: fc.constant(true as const),
        latencyMs: time,
        uncorrectedLatencyMs: time,
        ttfbMs: time,
        scheduleLagMs: time,
        ok: fc.boolean(),
        status: fc.integer({ min: 100, max: 599 }),
        bytes: fc.nat(),
        error: fc.record({ code: name, class: fc.constantFrom('reset' as const, 'timeout' as const), message: name }),
        instanceId: name,
      },
      { requiredKeys: ['type', 'kind', 'probe', 'target', 'stage', 'intendedAt', 'ok', 'bytes'] },
    );
    fc.assert(
      fc.property(sample, (s) => {
        const line = sampleLine(s);
        assert.ok(line.endsWith('}\n') && !line.slice(0, -1).includes('\n'));
        assert.deepEqual(JSON.parse(line), JSON.parse(JSON.stringify(s)));
      }),
      { numRuns: 2000 },
    );
  });

  it('stores load samples as 64-byte records that read back as the samples written, strings through the dictionary', () => {
    const micros = (max: number) => fc.integer({ min: 0, max }).map((us) => us / 1000);
    const name = fc.string({ unit: 'binary', minLength: 1, maxLength: 12 });
    const sample = fc
      .record(
        {
          probe: name,
          target: name,
          stage: name,
          intendedAt: micros(2 ** 51),
          dropped: fc.constant(true as const),
          latencyMs: micros(2 ** 40),
          uncorrectedLatencyMs: micros(2 ** 40),
          ttfbMs: micros(2 ** 40),
          scheduleLagMs: micros(2 ** 30),
          ok: fc.boolean(),
          status: fc.integer({ min: 100, max: 599 }),
          bytes: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
          error: fc.record({ code: name, class: fc.constantFrom('reset' as const, 'timeout' as const), message: name }),
          instanceId: name,
        },
        { requiredKeys: ['probe', 'target', 'stage', 'intendedAt', 'ok', 'bytes'] },
      )
      .map((fields): LoadSample => {
        const s: LoadSample = { type: 'sample', kind: 'load', ...fields, ...(fields.error && { error: { ...fields.error } }) };
        // The start is stored as the intended time plus the schedule lag.
        if (s.scheduleLagMs !== undefined) s.startedAt = (Math.round(s.intendedAt * 1000) + Math.round(s.scheduleLagMs * 1000)) / 1000;
        return s;
      });
    const dir = tempDir();
    let run = 0;
    fc.assert(
      fc.property(fc.array(sample, { maxLength: 40 }), (samples) => {
        const path = join(dir, `${run}.bin`);
        const dictionary = join(dir, `${run++}.dict.jsonl`);
        const log = openLoadSampleLog(path, dictionary, (error) => assert.fail(String(error)), { records: 7 });
        for (const s of samples) log.append(s);
        log.close();
        assert.equal(statSync(path).size, 16 + 64 * samples.length);
        const read: LoadSample[] = [];
        assert.equal(
          readLoadSampleFile(path, dictionary, (s) => read.push(s)),
          undefined,
        );
        assert.deepEqual(read, samples);
      }),
      { numRuns: 300 },
    );
  });

  it('completes the run when a sink throws, rejects or hangs, and names what each lost', async () => {
    let seen = 0;
    const throwing: Sink = {
      name: 'throws',
      record: () => {
        throw new Error('sink exploded');
      },
    };
    const hanging: Sink = { name: 'hangs', record: () => new Promise(() => undefined), close: () => new Promise(() => undefined) };
    const counting: Sink = { name: 'counts', record: () => void (seen += 1) };
    const started = Date.now();
    const outcome = await loadRun2s([throwing, hanging, counting]);
    assert.ok(Date.now() - started < 30_000);
    assert.equal(outcome.summary.targets.a!.load!.hot!.requests, 600, 'the run measured everything');
    const reports = new Map(outcome.sinkProblems.map((r) => [r.name, r]));
    assert.equal(reports.get('throws')!.error, 'sink exploded');
    assert.ok(reports.get('throws')!.failed > 1000);
    assert.equal(reports.get('hangs')!.delivered, 1, 'one record handed over, then it never returned');
    assert.ok(reports.get('hangs')!.dropped > 1000, `${reports.get('hangs')!.dropped} dropped`);
    assert.match(reports.get('hangs')!.error!, /did not finish by the deadline/);
    assert.ok(!reports.has('counts') && seen > 1200, 'a healthy sink beside them got every record');
    const manifest = JSON.parse(readFileSync(join(outcome.dir, 'manifest.json'), 'utf8')) as RunManifest;
    assert.deepEqual(
      manifest.sinks?.map((s) => s.name),
      ['run directory', 'throws', 'hangs', 'counts'],
    );
  });
});
