/**
 * The import rules `npm run lint` checks with dependency-cruiser (`depcruise src`); issue 14.2.
 * Paths are relative to the folder it runs in, so test/unit/lint/ can run the same rules on a
 * fixture tree. No tsConfig: every import in src/ is relative, and without one the rules run
 * from any folder.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-folder-cycles',
      comment:
        'Folders of src/ (clients, drive, election, common, ...) depend on each other one way: a ' +
        'cycle between folders means neither can be understood, tested or moved alone. Invert ' +
        'one edge (an event, a callback the lower folder exposes, an error that says its own ' +
        'HTTP answer) instead.',
      severity: 'error',
      scope: 'folder',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-module-cycles',
      comment:
        'A file that imports itself through others is loaded half-initialised by whichever ' +
        'is required first. Type-only imports vanish at compile time and are allowed.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'no-reaching-into-election-internals',
      comment:
        "The consensus core and the TCP transport are election/'s internals: outside " +
        'src/election/ use what their index.ts exports, or what election/ itself exports.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/election/' },
      to: { path: '^src/election/(consensus|transport)/', pathNot: '/index\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // `import type` counts too: a type-only import still ties one folder to another.
    tsPreCompilationDeps: true,
  },
};
