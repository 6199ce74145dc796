/**
 * A flow probe's `script:` loaded before any traffic. A `.js`/`.mjs` file is imported as it
 * is; a `.ts`/`.mts` file is transpiled with the TypeScript of the project it sits in (else
 * coldbench's own), with an inline source map so that a thrown error's line is the script's,
 * and imported from a file beside it, so its own imports resolve as the user wrote them. A
 * script that does not compile, cannot be imported or exports no function stops the run:
 * CB_SCRIPT_COMPILE, CB_SCRIPT_IMPORT, CB_SCRIPT_NO_FUNCTION, exit 3.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CbError } from '../model/errors.js';
import type { FlowScript, LoadedFlowScript } from '../model/flow-script.js';
import type { Plan } from './plan.js';

type TypeScript = typeof import('typescript');

/** Loads every flow probe's script into the plan. */
export async function loadFlowScripts(plan: Plan, baseDir: string): Promise<Plan> {
  const scripts = new Map<number, LoadedFlowScript>();
  for (const [index, probe] of plan.scenario.probes.entries()) {
    if (probe.kind === 'flow' && probe.script) scripts.set(index, await loadFlowScript(resolve(baseDir, probe.script), probe.script));
  }
  return scripts.size ? { ...plan, flowScripts: scripts } : plan;
}

export async function loadFlowScript(path: string, shown: string): Promise<LoadedFlowScript> {
  let source: string;
  try {
    source = await readFile(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new CbError('CB_SCRIPT_NOT_FOUND', `cannot read flow script ${shown} (${path}): ${reason}`);
  }
  const typescript = ['.ts', '.mts'].includes(extname(path));
  const module = typescript ? await importTranspiled(path, shown, source) : await importScript(pathToFileURL(path).href, shown);
  const run = (module as { default?: unknown }).default;
  if (typeof run !== 'function') {
    throw new CbError('CB_SCRIPT_NO_FUNCTION', `flow script ${shown} must export a default function: export default async function (ctx: FlowContext) { … }`);
  }
  return { file: path, run: run as FlowScript };
}

async function importTranspiled(path: string, shown: string, source: string): Promise<unknown> {
  const ts = await projectTypeScript(path, shown);
  const output = ts.transpileModule(source, {
    fileName: path,
    reportDiagnostics: true,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, inlineSourceMap: true, inlineSources: true },
  });
  const errors = (output.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length) {
    const lines = errors.map((d) => {
      const at = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
      return `${shown}${at ? `:${at.line + 1}:${at.character + 1}` : ''} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
    throw new CbError('CB_SCRIPT_COMPILE', `flow script ${shown} does not compile`, lines);
  }
  // Stack traces then name the script's own lines.
  process.setSourceMapsEnabled(true);
  const compiled = join(dirname(path), `.${basename(path, extname(path))}.coldbench-${process.pid}.mjs`);
  const sourceMapped = output.outputText.replace(/\/\/# sourceMappingURL=data:application\/json;base64,(.*)$/m, (_, map: string) => {
    const parsed = JSON.parse(Buffer.from(map, 'base64').toString()) as { sources: string[] };
    parsed.sources = [pathToFileURL(path).href];
    return `//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(parsed)).toString('base64')}`;
  });
  await writeFile(compiled, sourceMapped);
  try {
    return await importScript(pathToFileURL(compiled).href, shown);
  } finally {
    await rm(compiled, { force: true });
  }
}

async function importScript(url: string, shown: string): Promise<unknown> {
  try {
    return await import(url);
  } catch (error) {
    throw new CbError('CB_SCRIPT_IMPORT', `flow script ${shown} failed to load: ${(error as Error).message}`);
  }
}

/** The TypeScript of the project the script sits in, else coldbench's own. */
async function projectTypeScript(path: string, shown: string): Promise<TypeScript> {
  for (const from of [path, import.meta.url]) {
    try {
      const resolved = createRequire(from).resolve('typescript');
      return ((await import(pathToFileURL(resolved).href)) as { default: TypeScript }).default;
    } catch {
      // Not installed there: try the next.
    }
  }
  throw new CbError(
    'CB_SCRIPT_COMPILE',
    `flow script ${shown} is TypeScript, but no typescript package is installed (npm install -D typescript), or write it as .js`,
  );
}
