import { readFileSync } from 'node:fs';

/** coldbench's own version, read from package.json next to the compiled tree (dist/src/model/ → ../../../). */
export const TOOL_VERSION: string = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
