/** The fast reader gives exactly the data the `yaml` library gives, or leaves the file to it. */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { dump } from 'js-yaml';
import { stringify } from 'yaml';
import { parsedFile, plainData, yamlNodes } from './yaml-read.js';
import { validateFleet } from './validate.js';

/** Both readers on one text: the fast one's data (undefined when it refused) and the yaml library's. */
function read(text: string): { fast: unknown[] | undefined; slow: unknown[] | 'error' } {
  const fast = plainData(parsedFile('f.yaml', text));
  const { docs } = yamlNodes(parsedFile('f.yaml', text));
  if (docs.some((d) => d.errors.length > 0)) return { fast, slow: 'error' };
  try {
    return { fast, slow: docs.map((d) => d.toJS({ maxAliasCount: 1000 })) };
  } catch {
    return { fast, slow: 'error' };
  }
}

function sameOrRefused(text: string): void {
  const { fast, slow } = read(text);
  if (fast === undefined) return;
  assert.notEqual(slow, 'error', `the fast reader accepted what the yaml library refuses: ${JSON.stringify(text)}`);
  assert.deepStrictEqual(fast, slow, JSON.stringify(text));
}

test('hand-made texts: the same data, or the fast reader leaves the file to the yaml library', () => {
  const texts = [
    '', '# only a comment\n', '---\n', 'a: 1\n---\nb: 2\n', 'a: 1\n...\n',
    'a: 0x1F\nb: 0o17\nc: +.inf\nd: .NaN\ne: -0\nf: 1.\ng: .5\nh: 1e+3\ni: 00012\nj: 1_000\nk: 0b11\n',
    'a: ~\nb: Null\nc: TRUE\nd: On\ne: y\nf: yes\ng: 2020-01-01\nh: 12:30\n',
    'a: "\\u00e9\\x41\\t"\nb: \'it\'\'s\'\nc: ""\nd:\n',
    'a: |\n  x\n  y\n\nb: >-\n  p\n  q\n\n  r\nc: |+\n  keep\n\n',
    'a: {b: 1, c: [1, 2]}\nd: [ {e: f} ]\n',
    '<<: {a: 1}\nb: 2\n', 'a: 1\n<<: [{a: 2, c: 3}, {d: 4}]\n',
    '1: x\ntrue: y\nnull: z\n~: w\n', '? a\n: b\n', '"null": 1\nnull: 2\n',
    'a: !!str 12\nb: !!int "3"\n', '__proto__: {polluted: 1}\n',
    'a: 1\na: 2\n', 'a: &x 1\nb: *x\n', 'a: !custom x\n', '[a, b]: c\n', 'a: [1, 2\n', 'a: b: c\n',
    'a: "multi\n  line"\nb: plain\n  continued\n', '- a\n- b\n', 'a:\n  - b: 1\n    c: 2\n  -\n    d: 3\n',
    'a: 1 # comment\nb: "x # y"\n', '\ufeffa: 1\n', 'a: 9007199254740993\n', 'a:\t1\n', 'key with spaces: v\n"quoted": w\n',
  ];
  for (const text of texts) sameOrRefused(text);
  // The plain fleets of the tests and examples are all read fast; aliases and errors are not.
  assert.ok(read('a: 1\n<<: {b: 2}\n').fast, 'merge keys without aliases are read fast');
  for (const refused of ['a: 1\na: 2\n', 'a: &x 1\nb: *x\n', 'a: !custom x\n', 'a: [1, 2\n']) {
    assert.equal(read(refused).fast, undefined, JSON.stringify(refused));
  }
});

test('property: data written by either library reads back the same through both readers', () => {
  const key = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('null', '~', 'true', '1', '0x10', '<<', '__proto__', '-', '#', 'a: b'));
  const scalar = fc.oneof(
    fc.string({ maxLength: 20 }),
    fc.constantFrom('null', '~', 'yes', 'no', 'on', '1_000', '0o17', '0x1F', '.inf', '-.Inf', '.nan', '1e3', '012', '2020-01-01', '12:30', '', ' x ', 'a\nb', '|', '>', "'", '"'),
    fc.integer(),
    fc.double({ noNaN: true }),
    fc.boolean(),
    fc.constant(null),
  );
  const value = fc.letrec((tie) => ({
    node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(key, tie('node'), { maxKeys: 4 })),
  })).node;
  const writers = [
    (v: unknown) => stringify(v),
    (v: unknown) => stringify(v, { collectionStyle: 'flow' }),
    (v: unknown) => stringify(v, { defaultStringType: 'QUOTE_SINGLE' }),
    (v: unknown) => stringify(v, { defaultStringType: 'BLOCK_LITERAL', lineWidth: 20 }),
    (v: unknown) => dump(v),
    (v: unknown) => dump(v, { flowLevel: 1 }),
  ];
  fc.assert(
    fc.property(value, fc.nat({ max: writers.length - 1 }), (v, w) => sameOrRefused(writers[w]!(v))),
    { numRuns: 3000 },
  );
});

test('the example fleets are read fast, with the same data and the same validation', () => {
  const root = new URL('../../../examples/', import.meta.url).pathname;
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.yaml') ? [join(dir, e.name)] : []));
  const texts = files(root).map((f) => readFileSync(f, 'utf8'));
  assert.ok(texts.length > 10, `found ${texts.length} fleet files`);
  for (const text of texts) {
    const { fast, slow } = read(text);
    assert.ok(fast, 'a plain fleet file is read fast');
    assert.deepStrictEqual(fast, slow);
  }
});

test('problems in a file read fast still name the line and column the user wrote', () => {
  const text = 'sites:\n  - id: hel\n    country: FI\n    provider: p\n    facility: f\n    addresses: {}\n    flavour: x\n';
  const res = validateFleet([{ name: 'f.yaml', text }]);
  const unknown = res.problems.find((p) => p.path.endsWith('flavour'));
  assert.ok(unknown, JSON.stringify(res.problems));
  assert.equal(unknown.file, 'f.yaml');
  assert.equal(unknown.line, 7);
  assert.equal(unknown.column, 5);
});
