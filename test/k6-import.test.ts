/**
 * `coldbench import k6` on files in k6's documented output formats, from grafana/k6:
 * internal/output/json (one JSON object a line: `{"type":"Metric",…}` describing a metric,
 * `{"type":"Point","metric":…,"data":{"time":RFC 3339,"value":…,"tags":{…}}}` per sample)
 * and internal/output/csv (`metric_name,timestamp,metric_value,` then the standard tag
 * columns, `extra_tags` as k=v&k=v, and `metadata`). A request's http_* points share its time
 * and tags, http_reqs first, as k6 writes a request's sample container.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { distribution } from '../src/analysis/stats.js';
import type { Summary } from '../src/model/summary.js';
import { msToUs, newHistogram } from '../src/model/histogram.js';
import type { RunManifest } from '../src/model/manifest.js';
import type { LoadSample } from '../src/model/records.js';
import { CLI, K6_HTTP_METRICS, storedSamples, tempDir } from './helpers.js';

const START = Date.parse('2026-11-27T12:00:00Z');
const HTTP_METRICS = K6_HTTP_METRICS;

interface Request {
  at: number;
  duration: number;
  status: number;
  tags: Record<string, string>;
}

/** k6 writes times with nanoseconds and the runner's offset. */
const k6Time = (ms: number) =>
  new Date(ms + 2 * 3600_000)
    .toISOString()
    .replace('Z', '')
    .replace(/(\.\d{3})$/, '$1456789') + '+02:00';

function jsonLines(requests: Request[], dropped: number[]): string {
  const metrics = [...HTTP_METRICS, 'dropped_iterations'].map((name) =>
    JSON.stringify({
      type: 'Metric',
      data: { name, type: name === 'http_reqs' ? 'counter' : 'trend', contains: 'time', thresholds: [], submetrics: null },
      metric: name,
    }),
  );
  const points = requests.flatMap(({ at, duration, status, tags }) =>
    HTTP_METRICS.map((metric) => {
      const value =
        metric === 'http_reqs'
          ? 1
          : metric === 'http_req_duration'
            ? duration
            : metric === 'http_req_failed'
              ? Number(status >= 400)
              : metric === 'http_req_waiting'
                ? duration * 0.9
                : 0.01;
      // Key order varies on purpose: the importer must not assume it.
      return metric === 'http_req_waiting'
        ? JSON.stringify({
            metric,
            data: { tags: { ...tags, status: String(status), expected_response: String(status < 400) }, value, time: k6Time(at) },
            type: 'Point',
          })
        : JSON.stringify({
            type: 'Point',
            data: { time: k6Time(at), value, tags: { ...tags, status: String(status), expected_response: String(status < 400) } },
            metric,
          });
    }),
  );
  const drops = dropped.map((at) =>
    JSON.stringify({ type: 'Point', data: { time: k6Time(at), value: 1, tags: { scenario: 'k8s' } }, metric: 'dropped_iterations' }),
  );
  return [...metrics, ...points, ...drops].join('\n') + '\n';
}

const CSV_HEADER =
  'metric_name,timestamp,metric_value,check,error,error_code,expected_response,group,method,name,proto,scenario,service,status,subproto,tls_version,url,extra_tags,metadata';

function csvLines(requests: Request[]): string {
  const rows = requests.flatMap(({ at, duration, status, tags }) =>
    HTTP_METRICS.map((metric) => {
      const value = metric === 'http_reqs' ? 1 : metric === 'http_req_duration' ? duration : metric === 'http_req_failed' ? Number(status >= 400) : 0.01;
      const extra = `target=${tags.target}&probe=${tags.probe}&stage=${tags.stage}`;
      return `${metric},${Math.floor(at / 1000)},${value},,,,${status < 400},,GET,${tags.url},HTTP/1.1,${tags.scenario},,${status},,,${tags.url},${extra},`;
    }),
  );
  return [CSV_HEADER, ...rows].join('\n') + '\n';
}

function requests(count: number, target: string, from: number, failEvery = 0): Request[] {
  return Array.from({ length: count }, (_, i) => ({
    at: START + from + i * 10,
    duration: 20 + ((i * 7) % 50) + 0.125,
    status: failEvery && i % failEvery === 0 ? 503 : 200,
    tags: { target, probe: 'load', stage: '10x', scenario: target, url: `http://${target}.example/chat`, method: 'GET', testid: 'cutover-load' },
  }));
}

describe('import k6', () => {
  it('reads JSON (plain and .gz) and CSV from several runners into one run, k6 latency kept as measured from the send', () => {
    const dir = tempDir();
    const runnerA = requests(100, 'k8s', 0);
    const runnerB = requests(100, 'k8s', 5, 10);
    const csv = requests(50, 'cloudrun', 0);
    const plain = join(dir, 'runner-0.json');
    writeFileSync(plain, jsonLines(runnerA, [START + 500, START + 600, START + 700]) + '{"type":"Point","data":{"time":"2026-11-27T1\n');
    writeFileSync(join(dir, 'runner-1.json.gz'), gzipSync(jsonLines(runnerB, [START + 800, START + 900])));
    writeFileSync(join(dir, 'cloudrun.csv'), csvLines(csv));

    const result = spawnSync(
      process.execPath,
      [CLI, 'import', 'k6', plain, join(dir, 'runner-1.json.gz'), join(dir, 'cloudrun.csv'), '--out', join(dir, 'out'), '--json'],
      { encoding: 'utf8' },
    );
    assert.equal(result.status, 0, result.stderr);
    const lines = readFileSync(plain, 'utf8').split('\n').length - 1;
    assert.match(result.stderr, new RegExp(`^skipped ${plain.replace(/[./]/g, '\\$&')}:${lines}: not JSON \\(a torn line\\?\\)$`, 'm'));
    assert.match(result.stderr, /imported 250 k6 requests from 3 file\(s\) into (\S+)/);
    const summary = JSON.parse(result.stdout) as Summary;
    const k8s = summary.targets.k8s!.load!['10x']!;
    assert.deepEqual([k8s.requests, k8s.errors, k8s.dropped, k8s.errorsByClass], [200, 10, 5, { 'status-5xx': 10 }]);
    assert.equal(k8s.latencyMs, null, 'k6 has no intended start: nothing is presented as corrected');
    const expected = newHistogram();
    for (const r of [...runnerA, ...runnerB]) if (r.status < 400) expected.recordValue(msToUs(r.duration));
    assert.deepEqual(k8s.uncorrectedLatencyMs, distribution(expected));
    assert.equal(summary.targets.cloudrun!.load!['10x']!.requests, 50);
    const runDir = /into (\S+)/.exec(result.stderr)![1]!;
    const manifest = JSON.parse(readFileSync(join(runDir, 'manifest.json'), 'utf8')) as RunManifest;
    assert.equal(manifest.provenance.producer, 'import k6');
    assert.equal(manifest.scenarioName, 'cutover-load');
    assert.deepEqual(
      manifest.provenance.runners.map((r) => [r.name, r.segment]),
      [
        ['runner-0.json', '0/3:1/3'],
        ['runner-1.json.gz', '1/3:2/3'],
        ['cloudrun.csv', '2/3:3/3'],
      ],
    );
    // The interval log holds k6's own timings beside the duration.
    const log = readFileSync(join(runDir, 'intervals.hlog'), 'utf8');
    for (const metric of ['uncorrected', 'waiting', 'connecting', 'tls', 'blocked']) assert.match(log, new RegExp(`^Tag=k8s/load/10x/${metric},`, 'm'));
    assert.equal(spawnSync(process.execPath, [CLI, 'report', runDir, '--json'], { encoding: 'utf8' }).status, 0);
  });

  it('merges runners in start order as it streams, and refuses a runner file out of time order beyond its longest request, naming the line', () => {
    const dir = tempDir();
    // Two runners whose requests interleave; k6 writes each when it ends, so within a file starts are out of order by up to a duration.
    const runners = [0, 1].map((r) => requests(400, 'k8s', r * 3).map((q, i) => ({ ...q, duration: 20 + ((i * 37) % 300) })));
    const byEnd = (list: Request[]) => list.map((q) => ({ ...q, at: q.at + q.duration })).sort((a, b) => a.at - b.at);
    const files = runners.map((_, r) => join(dir, `runner-${r}.json`));
    files.forEach((file, r) => writeFileSync(file, jsonLines(byEnd(runners[r]!), [])));
    const result = spawnSync(process.execPath, [CLI, 'import', 'k6', ...files, '--out', join(dir, 'out')], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    const runDir = /into (\S+)/.exec(result.stderr)![1]!;
    const starts = storedSamples<LoadSample>(runDir).map((s) => s.intendedAt);
    assert.equal(starts.length, 800);
    assert.deepEqual(
      starts,
      [...starts].sort((a, b) => a - b),
      'every sample in start order',
    );
    assert.deepEqual(
      starts,
      [...runners[0]!, ...runners[1]!].map((q) => q.at).sort((a, b) => a - b),
    );
    // Dropped iterations of a target that sent nothing (no stage tag, nothing to place them by) are still that target's drops.
    writeFileSync(
      join(dir, 'drops.json'),
      jsonLines(byEnd(runners[0]!), [START + 3900, START + 3950]).replaceAll('"scenario":"k8s"}', '"scenario":"cloudrun"}'),
    );
    const drops = spawnSync(process.execPath, [CLI, 'import', 'k6', join(dir, 'drops.json'), '--out', join(dir, 'out3'), '--json'], { encoding: 'utf8' });
    assert.equal(drops.status, 0, drops.stderr);
    const cloudrun = (JSON.parse(drops.stdout) as Summary).targets.cloudrun!.load!.k6!;
    assert.deepEqual([cloudrun.requests, cloudrun.dropped], [0, 2]);
    // A request written a minute after the ones around it (with durations under a second) is no reordering k6 does.
    const late = byEnd(runners[0]!);
    late.splice(300, 0, { ...late[0]!, at: late[299]!.at - 60_000, duration: 30 });
    writeFileSync(join(dir, 'late.json'), jsonLines(late, []));
    const refused = spawnSync(process.execPath, [CLI, 'import', 'k6', join(dir, 'late.json'), '--out', join(dir, 'out2')], { encoding: 'utf8' });
    assert.equal(refused.status, 3, refused.stderr);
    assert.match(
      refused.stderr,
      /^CB_IMPORT_UNORDERED: \S+late\.json:\d+: a request that started at \S+ comes after requests that started [\d.]+ s later; the file is not in time order/,
    );
  });

  it('judges --slo on k6 durations, labelled uncorrected everywhere, and a gate passes and fails where the data says', () => {
    const dir = tempDir();
    // 1,000 requests 10 ms apart: durations 300–1,299 ms, so p95 is ~1,250 ms; the first 500 alone stay under 800 ms.
    const all = Array.from({ length: 1000 }, (_, i) => ({ ...requests(1, 'k8s', i * 10)[0]!, duration: 300 + ((i * 617) % 1000) }));
    const fast = all.filter((r) => r.duration < 760);
    const results: Record<string, { status: number | null; stdout: string; gate: { status: number | null; stdout: string } }> = {};
    for (const [name, data] of Object.entries({ fast, all })) {
      const file = join(dir, `${name}.json`);
      writeFileSync(file, jsonLines(data, []));
      const out = join(dir, name);
      const imported = spawnSync(process.execPath, [CLI, 'import', 'k6', file, '--out', out, '--slo', 'p95=< 800ms', '--slo', 'successRate=>= 99%'], {
        encoding: 'utf8',
      });
      const runDir = join(out, readdirSync(out)[0]!);
      const gate = spawnSync(process.execPath, [CLI, 'gate', runDir, '--junit', join(dir, `${name}.xml`)], { encoding: 'utf8' });
      results[name] = { status: imported.status, stdout: imported.stdout, gate: { status: gate.status, stdout: gate.stdout } };
      const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as Summary;
      const p95 = summary.targets.k8s!.load!['10x']!.slo.find((c) => c.metric === 'p95 uncorrected')!;
      assert.equal(p95.uncorrected, true);
      assert.match(p95.detail, /^k6 records no intended send time; latency from the send: p95 /);
      assert.equal(summary.targets.k8s!.load!['10x']!.latencyMs, null, 'no corrected latency is made up');
      for (const output of [gate.stdout, readFileSync(join(runDir, 'report.md'), 'utf8'), readFileSync(join(dir, `${name}.xml`), 'utf8')])
        assert.match(output, /p95 uncorrected/);
    }
    assert.equal(results.fast!.status, 0, results.fast!.stdout);
    assert.equal(results.fast!.gate.status, 0, results.fast!.gate.stdout);
    assert.equal(results.all!.status, 1, results.all!.stdout);
    assert.equal(results.all!.gate.status, 1, results.all!.gate.stdout);
    assert.match(results.all!.gate.stdout, /p95 uncorrected < 800ms: FAIL/);
    const wrong = spawnSync(process.execPath, [CLI, 'import', 'k6', join(dir, 'fast.json'), '--out', dir, '--slo', 'p96=< 1s', '--slo', 'p95=fast'], {
      encoding: 'utf8',
    });
    assert.equal(wrong.status, 3);
    assert.match(wrong.stderr, /^CB_USAGE: --slo .*unknown SLO p96 .*write each as NAME=LIMIT/);
    assert.match(wrong.stderr, /p95: expected a latency limit like "< 800ms"/);
  });

  it('names a file it cannot read, and refuses files with no request', () => {
    const dir = tempDir();
    const missing = spawnSync(process.execPath, [CLI, 'import', 'k6', join(dir, 'nope.json'), '--out', dir], { encoding: 'utf8' });
    assert.equal(missing.status, 3);
    assert.match(missing.stderr, /^CB_USAGE: cannot read k6 output .+nope\.json: no such file/);
    writeFileSync(join(dir, 'empty.json'), '{"type":"Metric","data":{"name":"vus"},"metric":"vus"}\nnot json\n');
    const empty = spawnSync(process.execPath, [CLI, 'import', 'k6', join(dir, 'empty.json'), '--out', dir], { encoding: 'utf8' });
    assert.equal(empty.status, 3);
    assert.match(empty.stderr, /^CB_IMPORT_EMPTY: no k6 requests in .+empty\.json \(1 lines skipped: .+empty\.json:2: not JSON/);
  });

  it('skips a line too long to be a k6 point (a gzip bomb) without holding it, and refuses bytes that are not gzip', () => {
    const dir = tempDir();
    const lines = jsonLines(requests(20, 'k8s', 0), []).split('\n');
    // 64 MB of one line, 64 kB on disk.
    const bomb = Buffer.concat([
      Buffer.from(lines.slice(0, 10).join('\n') + '\n'),
      Buffer.alloc(64 << 20, 'x'),
      Buffer.from('\n' + lines.slice(10).join('\n')),
    ]);
    writeFileSync(join(dir, 'bomb.json.gz'), gzipSync(bomb));
    const imported = spawnSync(process.execPath, [CLI, 'import', 'k6', join(dir, 'bomb.json.gz'), '--out', dir, '--json'], { encoding: 'utf8' });
    assert.equal(imported.status, 0, imported.stderr);
    assert.match(imported.stderr, /^skipped .+bomb\.json\.gz:11: a line longer than 1048576 bytes; skipped$/m);
    assert.equal((JSON.parse(imported.stdout) as Summary).targets.k8s!.load!['10x']!.requests, 20);

    writeFileSync(join(dir, 'plain.json.gz'), lines.join('\n'));
    const refused = spawnSync(process.execPath, [CLI, 'import', 'k6', join(dir, 'plain.json.gz'), '--out', dir], { encoding: 'utf8' });
    assert.equal(refused.status, 3, refused.stderr);
    assert.match(refused.stderr, /^CB_IMPORT_UNREADABLE: .+plain\.json\.gz is not gzip data, or is damaged: incorrect header check\n$/);
  });

  it('skips points at impossible times, shows tag names without control characters, and refuses an import of too many targets', () => {
    const dir = tempDir();
    const escaped = '\u001b[31mk8s\nrow';
    const at = (request: Request, iso: string): Request => ({ ...request, at: Date.parse(iso) });
    const [one] = requests(1, 'k8s', 0);
    const file = join(dir, 'odd.json');
    writeFileSync(file, jsonLines([...requests(10, escaped, 0), at(one!, '0001-01-01T00:00:00Z'), at(one!, '9999-01-01T00:00:00Z')], []));
    const imported = spawnSync(process.execPath, [CLI, 'import', 'k6', file, '--out', dir, '--json'], { encoding: 'utf8' });
    assert.equal(imported.status, 0, imported.stderr);
    assert.match(imported.stderr, /^skipped .+odd\.json:\d+: time 0001-01-01T00:00:00\.000Z is not one a k6 run had$/m);
    assert.match(imported.stderr, /^skipped .+odd\.json:\d+: time 9999-01-01T00:00:00\.000Z is not one a k6 run had$/m);
    assert.deepEqual(Object.keys((JSON.parse(imported.stdout) as Summary).targets), ['\ufffd[31mk8s\ufffdrow']);
    const runDir = /into (\S+)/.exec(imported.stderr)![1]!;
    const report = readFileSync(join(runDir, 'report.md'), 'utf8');
    assert.ok(!/[\u0000-\u0009\u000b-\u001f]/.test(report + imported.stderr + imported.stdout), 'a control character reached the report or the terminal');
    assert.match(report, /^\| \ufffd\[31mk8s\ufffdrow \| 10x \|/m);

    const many = join(dir, 'many.json');
    writeFileSync(
      many,
      jsonLines(
        Array.from({ length: 150 }, (_, i) => requests(1, `t${i}`, i)[0]!),
        [],
      ),
    );
    const refused = spawnSync(process.execPath, [CLI, 'import', 'k6', many, '--out', dir], { encoding: 'utf8' });
    assert.equal(refused.status, 3, refused.stderr);
    assert.match(
      refused.stderr,
      /^CB_IMPORT_TOO_MANY: the k6 output names 150 targets \(its target tag, else its scenario\), more than 100: import one test's runs at a time\n$/,
    );
  });
});
