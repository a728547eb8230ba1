/**
 * Dependency rules of docs/architecture.md, checked by `npm run lint`:
 * - src/core is pure: it imports only src/core and pure libraries (no Node built-ins);
 * - processes (controller, agent, proxy, cli, web) never import each other: they talk over HTTP
 *   through src/client;
 * - src/client and src/lib import no process code, and src/lib knows nothing of the domain;
 * - no import cycles anywhere.
 */
const PROCESSES = ['controller', 'agent', 'proxy', 'cli', 'web'];

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycles make modules impossible to understand and test alone.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-is-pure-no-builtins',
      severity: 'error',
      comment: 'src/core does no I/O: no Node built-ins (fs, net, http, child_process, os, ...).',
      from: { path: '^src/core/', pathNot: '\\.test\\.ts$' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'core-imports-only-core',
      severity: 'error',
      comment: 'src/core imports only src/core and pure npm libraries.',
      from: { path: '^src/core/' },
      to: { path: '^src/', pathNot: '^src/core/' },
    },
    {
      name: 'core-pure-libraries-only',
      severity: 'error',
      comment: 'src/core may use only pure libraries; add one here only after checking it does no I/O (ical-generator 10 and js-yaml 5: no imports at all; ajv 8: only its own pure helpers, it compiles schemas to functions in memory).',
      from: { path: '^src/core/', pathNot: '\\.test\\.ts$' },
      to: { dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'], pathNot: 'node_modules/(zod|yaml|js-yaml|ajv|ip-address|croner|ical-generator)/' },
    },
    ...PROCESSES.map((proc) => ({
      name: `no-${proc}-to-other-processes`,
      severity: 'error',
      comment: 'Processes talk over HTTP through src/client, never by importing each other.',
      from: { path: `^src/${proc}/` },
      to: { path: `^src/(${PROCESSES.filter((p) => p !== proc).join('|')})/` },
    })),
    {
      name: 'client-and-lib-no-processes',
      severity: 'error',
      from: { path: '^src/(client|lib)/' },
      to: { path: `^src/(${PROCESSES.join('|')})/` },
    },
    {
      name: 'lib-has-no-domain',
      severity: 'error',
      comment: 'src/lib holds helpers without domain knowledge.',
      from: { path: '^src/lib/' },
      to: { path: '^src/(core|client)/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.tsx', '.js', '.d.ts'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
