/** Compose's interpolation syntax: which variables a value needs, and which `$` Compose refuses. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { checkInterpolation, composeLiteral, hasVariables, stringsIn } from './interpolation.js';

const defined = new Set(['DB_PASSWORD', 'HOST', 'EMPTY']);

test('what a value needs, as a table', () => {
  const table: [text: string, needs: string[] | 'ok' | 'invalid'][] = [
    ['plain text', 'ok'],
    ['price: 5$$', 'ok'],
    ['$$HOME stays literal', 'ok'],
    ['$DB_PASSWORD', 'ok'],
    ['${DB_PASSWORD}', 'ok'],
    ['mysql://root:${DB_PASSWORD}@${HOST}:3306', 'ok'],
    ['$MISSING', ['MISSING']],
    ['${MISSING}', ['MISSING']],
    ['${MISSING:-fallback}', 'ok'],
    ['${MISSING-fallback}', 'ok'],
    ['${MISSING:-${ALSO_MISSING}}', ['ALSO_MISSING']],
    ['${HOST:-${ALSO_MISSING}}', 'ok'],
    ['${HOST:+${ALSO_MISSING}}', ['ALSO_MISSING']],
    ['${MISSING:+${ALSO_MISSING}}', 'ok'],
    ['${MISSING:?set it in the env}', ['MISSING']],
    ['${HOST:?set it}', 'ok'],
    ['${A}${B}', ['A', 'B']],
    ['${MISSING:-a}b}', 'ok'],
    ['pa$word', ['word']],
    ['cost 5$', 'invalid'],
    ['$1', 'invalid'],
    ['${', 'invalid'],
    ['${1}', 'invalid'],
    ['${HOST', 'invalid'],
    ['${HOST*}', 'invalid'],
    ['${MISSING:-${HOST}', 'invalid'],
  ];
  for (const [text, needs] of table) {
    const r = checkInterpolation(text, defined);
    if (needs === 'ok') assert.deepEqual(r, { ok: true }, text);
    else if (needs === 'invalid') assert.ok(!r.ok && 'invalid' in r, `${text}: ${JSON.stringify(r)}`);
    else assert.deepEqual(!r.ok && 'undefined' in r ? r.undefined.map((v) => v.name) : r, needs, text);
  }
  const required = checkInterpolation('${MISSING:?set it in the env}', defined);
  assert.deepEqual(required, { ok: false, undefined: [{ name: 'MISSING', message: 'set it in the env' }] });
  assert.equal(hasVariables('$$ only'), false);
  assert.equal(hasVariables('${X:-1}'), true, 'an optional variable is still passed when the app defines it');
  assert.equal(hasVariables('$$X'), false);
  assert.equal(hasVariables('$X'), true);
});

test('property: any text written as a literal needs nothing and is valid', () => {
  fc.assert(fc.property(fc.string({ maxLength: 60 }), (s) => assert.deepEqual(checkInterpolation(composeLiteral(s), new Set()), { ok: true })), { numRuns: 2000 });
});

test('property: a reference is missing exactly when its name is not defined', () => {
  const name = fc.stringMatching(/^[_A-Za-z][_A-Za-z0-9]{0,10}$/);
  fc.assert(
    fc.property(name, fc.boolean(), fc.boolean(), (n, isDefined, brace) => {
      const r = checkInterpolation(`x ${brace ? `\${${n}}` : `$${n}`} y`, isDefined ? new Set([n]) : new Set());
      assert.deepEqual(r, isDefined ? { ok: true } : { ok: false, undefined: [{ name: n }] });
    }),
    { numRuns: 500 },
  );
});

test('every string value of a service is found with its path; keys are not values', () => {
  assert.deepEqual(stringsIn({ image: 'a', environment: { KEY: 'v', N: 1 }, command: ['x', 'y'] }), [
    { path: ['image'], text: 'a' },
    { path: ['environment', 'KEY'], text: 'v' },
    { path: ['command', 0], text: 'x' },
    { path: ['command', 1], text: 'y' },
  ]);
});
