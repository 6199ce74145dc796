/**
 * The one-way flow of docs/ARCHITECTURE.md, checked on every `npm test`:
 * scenario → runner → store → sinks → analysis → report, each room importing only the rooms
 * before it, and model/ (the contract) importing none of ours.
 */
const rooms = {
  model: [],
  scenario: ['model'],
  runner: ['model', 'scenario'],
  k6: ['model', 'scenario'],
  manifests: ['model', 'scenario'],
  store: ['model'],
  importers: ['model', 'store'],
  sinks: ['model', 'store'],
  analysis: ['model', 'store'],
  report: ['model', 'store', 'analysis'],
  platforms: ['model'],
};

const roomRules = Object.entries(rooms).map(([room, allowed]) => ({
  name: `${room}-imports-only-${allowed.join('-') || 'nothing'}`,
  comment: `src/${room}/ may import ${allowed.length ? allowed.map((r) => `src/${r}/`).join(', ') : 'nothing of ours'} and itself`,
  severity: 'error',
  from: { path: `^src/${room}/` },
  to: { path: '^src/', pathNot: `^src/(${[room, ...allowed].join('|')})/` },
}));

module.exports = {
  forbidden: [
    ...roomRules,
    {
      name: 'no-cycles',
      comment: 'a cycle, even of types only, means two modules are one idea split in two',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'nothing-imports-the-cli',
      severity: 'error',
      from: { pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(dist|node_modules)/' },
  },
};
