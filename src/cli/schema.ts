/** `hafen schema`: the JSON Schema of fleet files, for editors and other tools. */
import type { Command } from 'commander';
import { fleetJsonSchema } from '../core/fleet/json-schema.js';
import { fleetReferenceMarkdown } from '../core/fleet/schema-docs.js';
import { writeFileAtomic } from '../lib/fs.js';
import { EXIT, json, type CliIo } from './io.js';

export function registerSchema(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('schema')
    .description('Print the JSON Schema (draft 2020-12) of fleet files, generated from the same schemas validate uses.')
    .option('--out <file>', 'write it to a file instead of standard output')
    .option('--markdown', 'print the fleet format reference as Markdown instead (docs/fleet-reference.md)')
    .addHelpText(
      'after',
      `
Editors that use yaml-language-server complete and check fleet files with it; put this
first line in a fleet file:
  # yaml-language-server: $schema=path/to/fleet.schema.json`,
    )
    .action(async (opts: { out?: string; markdown?: boolean }) => {
      const text = opts.markdown ? `${fleetReferenceMarkdown(fleetJsonSchema())}\n` : json(fleetJsonSchema());
      if (opts.out) {
        await writeFileAtomic(opts.out, text);
        io.stderr(`wrote ${opts.out}\n`);
      } else {
        io.stdout(text);
      }
      setExit(EXIT.ok);
    });
}
