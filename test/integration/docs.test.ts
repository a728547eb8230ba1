/**
 * The docs tell the truth about what exists: every relative link in README.md and docs/
 * resolves (the file, and the heading when it names one), and every `hafen ...` command line
 * they show names commands and options that exist. The commands and their options come from
 * docs/cli-reference.md, which cli-reference.test.ts keeps equal to every command's own --help.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers/paths.js';

const DOCS = [join(ROOT, 'README.md'), ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join(ROOT, 'docs', f))];
const where = (file: string, line: number) => `${relative(ROOT, file)}:${line}`;

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens; repeats get -1, -2, ... */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^```/.test(line)) fenced = !fenced;
    const m = !fenced && /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = m[1]!.replace(/`/g, '').toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

test('every relative link in README.md and docs/ resolves, to the heading it names', () => {
  const broken: string[] = [];
  for (const file of DOCS) {
    const lines = readFileSync(file, 'utf8').split('\n');
    let fenced = false;
    lines.forEach((line, i) => {
      if (/^```/.test(line)) fenced = !fenced;
      if (fenced) return;
      for (const m of line.replace(/`[^`]*`/g, '').matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1]!;
        if (/^[a-z]+:/i.test(target)) continue; // http:, https:, mailto:
        const [path, anchor] = target.split('#') as [string, string | undefined];
        const full = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
        if (!existsSync(full)) {
          broken.push(`${where(file, i + 1)}: ${target}: no such file ${relative(ROOT, full)}`);
          continue;
        }
        if (anchor && full.endsWith('.md') && !anchors(readFileSync(full, 'utf8')).has(anchor)) {
          broken.push(`${where(file, i + 1)}: ${target}: ${relative(ROOT, full)} has no heading #${anchor}`);
        }
      }
    });
  }
  assert.deepEqual(broken, []);
});

/** Every command (as "demo load") and its long and short options, from docs/cli-reference.md. */
function commandTable(): Map<string, Set<string>> {
  const text = readFileSync(join(ROOT, 'docs', 'cli-reference.md'), 'utf8');
  const table = new Map<string, Set<string>>();
  for (const section of text.split(/^### hafen /m).slice(1)) {
    const name = section.slice(0, section.indexOf('\n')).trim();
    const options = new Set(['--help', '-h']);
    for (const m of section.matchAll(/^ {2}(-\w)?(?:, )?(--[\w-]+)?/gm)) {
      if (m[1]) options.add(m[1]);
      if (m[2]) options.add(m[2]);
    }
    // --no-x options are listed as such; --x of a negatable option too.
    table.set(name, options);
  }
  return table;
}

/** Stands for an escaped "\\|" (an alternative, not a pipe) while a line is cut into commands. */
const ALT = '\u2016';

/** The `hafen ...` command lines in a Markdown file: in inline code and in fenced code blocks. */
function commandLines(markdown: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  let fenced = false;
  markdown.split('\n').forEach((line, i) => {
    if (/^```/.test(line)) {
      fenced = !fenced;
      return;
    }
    // In a table, "\|" separates alternatives ("fail\|heal"); elsewhere "|" in code is a pipe.
    const spans = fenced ? [line.replace(/#.*$/, '')] : [...line.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    for (const span of spans) {
      for (const m of span.replaceAll('\\|', ALT).matchAll(/(?:^|[\s;&|($])(?:node bin\/hafen\.js|hafen) ([^;&|)]*)/g)) {
        out.push({ line: i + 1, text: m[1]!.replaceAll(ALT, '|').trim() });
      }
    }
  });
  return out;
}

/** What is wrong with `hafen <text>` against the table (undefined: nothing). */
function check(text: string, table: Map<string, Set<string>>): string | undefined {
  const words = text.split(/\s+/).filter(Boolean);
  if (words.length === 0) return undefined;
  // A program's output quoted in a block ("hafen demo: 3 sites ...") is not a command line.
  if (/^(-V|--version|-h|--help)$/.test(words[0]!) || words[0]!.endsWith(':')) return undefined;
  // The command path: words that, every alternative of them, extend a known command.
  let paths = [''];
  let i = 0;
  for (; i < words.length; i++) {
    const alternatives = words[i]!.split('|');
    const next = paths.flatMap((p) => alternatives.map((a) => (p ? `${p} ${a}` : a)));
    // "store" is a group of commands ("store export", "store import") without a section of its own.
    if (!next.every((n) => table.has(n) || [...table.keys()].some((k) => k.startsWith(`${n} `)))) break;
    paths = next;
  }
  if (paths[0] === '') return /^[a-z]/.test(words[0]!) && !/[A-Z]/.test(words[0]!) ? `"${words[0]}" is not a hafen command` : undefined;
  // A command with subcommands takes no plain word of its own: a lower-case word there is a misspelt subcommand.
  const next = words[i];
  const parent = paths.find((p) => [...table.keys()].some((k) => k.startsWith(`${p} `)));
  if (next !== undefined && parent !== undefined && /^[a-z][a-z-]*(\|[a-z][a-z-]*)*$/.test(next)) return `hafen ${parent} has no subcommand ${next}`;
  for (const word of words.slice(i)) {
    const flag = /^[[(]*(--?[a-zA-Z][\w-]*)/.exec(word)?.[1];
    if (!flag) continue;
    for (const p of paths) {
      const options = table.get(p);
      if (!options) return `hafen ${p} needs a subcommand`;
      const known = options.has(flag) || (flag.startsWith('--no-') && options.has(`--${flag.slice(5)}`));
      if (!known) return `hafen ${p} has no option ${flag}`;
    }
  }
  return undefined;
}

test('every `hafen ...` command line in README.md and docs/ names commands and options that exist', () => {
  const table = commandTable();
  assert.ok(table.size > 60 && table.has('demo load') && table.get('plan')!.has('--previous'), 'the command table was read');
  // The check itself: it finds what does not exist.
  assert.equal(check('history --limit 5', table), undefined);
  assert.match(check('histroy', table) ?? '', /not a hafen command/);
  assert.match(check('plan FLEET --bogus', table) ?? '', /has no option --bogus/);
  assert.match(check('demo fail|hail site:hel', table) ?? '', /hafen demo has no subcommand fail\|hail/);
  assert.equal(check('demo fail|heal site:hel --data .hafen-demo', table), undefined);
  const wrong: string[] = [];
  let seen = 0;
  for (const file of DOCS) {
    if (file.endsWith('cli-reference.md')) continue;
    for (const { line, text } of commandLines(readFileSync(file, 'utf8'))) {
      seen++;
      const problem = check(text, table);
      if (problem) wrong.push(`${where(file, line)}: hafen ${text}: ${problem}`);
    }
  }
  assert.ok(seen > 100, `found ${seen} command lines`);
  assert.deepEqual(wrong, []);
});
