#!/usr/bin/env node
// Entry point of the `hafen` command (npm ci builds dist/ via `prepare`). It wires the
// processes: `hafen controller` (and `hafen store`), `hafen agent`, `hafen prober` and `hafen proxy` run their own entry points; everything
// else is the CLI. The processes never import each other (docs/architecture.md), only this file sees all.
const [command] = process.argv.slice(2);
if (command === 'controller') {
  const { runController } = await import('../dist/controller/main.js');
  process.exitCode = await runController(process.argv.slice(3));
} else if (command === 'store') {
  const { runStore } = await import('../dist/controller/store-cli.js');
  process.exitCode = await runStore(process.argv.slice(3));
} else if (command === 'agent') {
  const { runAgent } = await import('../dist/agent/main.js');
  process.exitCode = await runAgent(process.argv.slice(3));
} else if (command === 'prober') {
  const { runProber } = await import('../dist/agent/prober/main.js');
  process.exitCode = await runProber(process.argv.slice(3));
} else if (command === 'proxy') {
  const { runProxy } = await import('../dist/proxy/main.js');
  process.exitCode = await runProxy(process.argv.slice(3));
} else {
  const { main } = await import('../dist/cli/main.js');
  // `hafen plan FLEET | head`: a reader that stops early ends the command quietly (status 0).
  const { endQuietlyWhenOutputCloses } = await import('../dist/cli/io.js');
  endQuietlyWhenOutputCloses();
  process.exitCode = await main(process.argv);
}
