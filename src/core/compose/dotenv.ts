/**
 * The names a project's `.env` defines, read as Compose reads the file: `KEY=value` lines,
 * `export KEY=value`, comments, and quoted values that may span lines (a line inside a quoted
 * value defines nothing). Only the names matter to hafen: Compose reads the values itself, on the
 * host, from the file shipped with the project. (dotenv on npm reads files itself; core does no I/O.)
 */

/** The variable names `text` defines, in order, or where it is malformed. */
export function dotenvNames(text: string): { names: string[] } | { error: string; line: number } {
  const names: string[] = [];
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*(=|$)/.exec(line);
    if (!m) return { error: `"${line.slice(0, 40)}" is not KEY=VALUE`, line: i + 1 };
    names.push(m[1]!);
    const value = line.slice(m[0].length).trimStart();
    const quote = value[0];
    if (quote !== '"' && quote !== "'") continue;
    // A quoted value ends at its closing quote, possibly lines later ("\"" escapes one in double quotes).
    let rest = value.slice(1);
    const start = i;
    for (;;) {
      const end = closing(rest, quote);
      if (end >= 0) break;
      if (++i >= lines.length) return { error: `the value of ${m[1]} opens a ${quote === '"' ? 'double' : 'single'} quote that is never closed`, line: start + 1 };
      rest = lines[i]!;
    }
  }
  return { names };
}

function closing(text: string, quote: string): number {
  for (let j = 0; j < text.length; j++) {
    if (quote === '"' && text[j] === '\\') j++;
    else if (text[j] === quote) return j;
  }
  return -1;
}
