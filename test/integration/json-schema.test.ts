import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { fleetJsonSchema } from '../../src/core/fleet/json-schema.js';
import { EXAMPLES, FIXTURES, ROOT, hafen, read, yamlFiles } from '../helpers/paths.js';

const committed = join(ROOT, 'schema', 'fleet.schema.json');

test('the committed schema/fleet.schema.json is the one hafen generates', () => {
  assert.equal(read(committed), `${JSON.stringify(fleetJsonSchema(), null, 2)}\n`, 'run `npm run schema` and commit the result');
  const res = hafen(['schema']);
  assert.equal(res.status, 0);
  assert.equal(res.stdout, read(committed));
});

test('a standard JSON Schema validator (ajv, draft 2020-12) accepts every example fleet file', () => {
  // allowUnionTypes: a list of types ("type": ["string", "number"], PostgreSQL settings) is standard JSON Schema; ajv's strict mode only asks to allow it.
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
  // The schema uses standard formats (date-time for planned work): checked, not ignored.
  addFormats.default(ajv);
  const validate = ajv.compile(JSON.parse(read(committed)));
  const files = [join(EXAMPLES, 'minimal.yaml'), ...yamlFiles(join(EXAMPLES, 'frachtwerk'))];
  assert.ok(files.length > 100, 'the reference fleet is split over many files');
  for (const file of files) {
    const ok = validate(parse(read(file)) ?? {});
    assert.ok(ok, `${file}: ${ajv.errorsText(validate.errors)}`);
  }
});

test('and rejects fleet files with unknown keys or wrong types', () => {
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
  // The schema uses standard formats (date-time for planned work): checked, not ignored.
  addFormats.default(ajv);
  const validate = ajv.compile(JSON.parse(read(committed)));
  for (const name of ['typo-keys.yaml', 'types.yaml']) {
    assert.equal(validate(parse(read(join(FIXTURES, 'broken', name)))), false, name);
  }
});

test('docs/fleet-reference.md is generated from the same schema and is current', () => {
  const res = hafen(['schema', '--markdown']);
  assert.equal(res.status, 0);
  assert.equal(read(join(ROOT, 'docs', 'fleet-reference.md')), res.stdout, 'run `npm run docs` and commit the result');
  assert.match(res.stdout, /## fleet\.apps\[\]\.redundancy/);
});
