/**
 * The registries are exhaustive maps: a probe or verdict kind added to src/model and missed
 * in a room fails the build there. These tests add an example kind to the model in memory,
 * type-check the tree, and check that the compiler names exactly the maps that
 * docs/ARCHITECTURE.md lists, so the "add a kind" checklist cannot go stale.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import ts from 'typescript';
import { ROOT } from './helpers.js';

/** The files the compiler reports errors in when `file`'s text has `find` replaced by `replace`. */
function filesFailingWith(file: string, find: string, replace: string): string[] {
  const { config } = ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, ROOT);
  const changed = join(ROOT, file);
  const original = readFileSync(changed, 'utf8');
  assert.ok(original.includes(find), `${file} no longer holds ${find}`);
  const host = ts.createCompilerHost(parsed.options);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => (name === changed ? original.replace(find, replace) : readFile(name));
  const program = ts.createProgram({
    rootNames: parsed.fileNames.filter((name) => name.includes('/src/')),
    options: { ...parsed.options, noEmit: true },
    host,
  });
  const failing = ts.getPreEmitDiagnostics(program).flatMap((d) => (d.file ? [relative(ROOT, d.file.fileName)] : []));
  return [...new Set(failing)].sort();
}

/** The files a checklist of docs/ARCHITECTURE.md names, between its markers. */
function checklist(name: string): string[] {
  const doc = readFileSync(join(ROOT, 'docs/ARCHITECTURE.md'), 'utf8');
  const section = doc.split(`<!-- ${name} -->`)[1]?.split(`<!-- /${name} -->`)[0];
  assert.ok(section, `docs/ARCHITECTURE.md has no ${name} checklist`);
  return [...section.matchAll(/^- `([^`]+)`/gm)].map((match) => match[1]!).sort();
}

describe('kind registries', () => {
  test('a probe kind added to the model fails the build in exactly the maps the architecture doc lists', () => {
    const failing = filesFailingWith('src/model/probe-kinds.ts', "'idleSweep'] as const", "'idleSweep', 'example'] as const");
    assert.deepEqual(failing, checklist('probe-kind-maps'));
  });

  test('a verdict kind added to the model fails the build in exactly the maps the architecture doc lists', () => {
    const failing = filesFailingWith(
      'src/model/verdict-specs.ts',
      '  capacityAtLeast: CapacityAtLeastSpec;\n}',
      '  capacityAtLeast: CapacityAtLeastSpec;\n  example: SloVerdictSpec;\n}',
    );
    assert.deepEqual(failing, checklist('verdict-kind-maps'));
  });
});
