import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeCerts } from '../../../test/helpers/certs.js';
import { certSteps, crtList, pemHash, readCertPairs, type CertBundle } from './certs.js';

test('readCertPairs: a bundle per pair with its SNI name ("_." is the wildcard); broken pairs reported by file, keys never in messages', async () => {
  const src = mkdtempSync(join(tmpdir(), 'hafen-certpairs-'));
  const TLS = mkdtempSync(join(tmpdir(), 'hafen-certpairs-made-'));
  try {
    await writeCerts(TLS, ['shop.example.com', '*.example.net']);
    for (const f of ['shop.example.com.crt', 'shop.example.com.key', '_.example.net.crt']) copyFileSync(join(TLS, f), join(src, f));
    // A key that belongs to another certificate.
    copyFileSync(join(TLS, 'shop.example.com.crt'), join(src, 'mixed.example.org.crt'));
    copyFileSync(join(TLS, '_.example.net.key'), join(src, 'mixed.example.org.key'));
    writeFileSync(join(src, 'notes.txt'), 'not a certificate');
    const { bundles, problems } = readCertPairs(src, '/run/hafen/certs');
    assert.deepEqual(bundles.map((b) => [b.sni, b.file]), [['shop.example.com', '/run/hafen/certs/shop.example.com.pem']]);
    assert.match(bundles[0]!.pem, /BEGIN CERTIFICATE[\s\S]*END CERTIFICATE-----\n-----BEGIN PRIVATE KEY[\s\S]*END PRIVATE KEY-----\n$/);
    assert.deepEqual(problems.map((p) => p.file), ['_.example.net.crt', 'mixed.example.org.crt']);
    assert.match(problems[0]!.message, /no _\.example\.net\.key beside it/);
    for (const p of problems) assert.doesNotMatch(p.message, /BEGIN|PRIVATE/);
    copyFileSync(join(TLS, '_.example.net.key'), join(src, '_.example.net.key'));
    assert.deepEqual(readCertPairs(src, '/d').bundles.map((b) => b.sni), ['*.example.net', 'shop.example.com']);
    assert.equal(crtList(readCertPairs(src, '/d').bundles), '/d/_.example.net.pem *.example.net\n/d/shop.example.com.pem shop.example.com\n');
  } finally {
    rmSync(src, { recursive: true, force: true });
    rmSync(TLS, { recursive: true, force: true });
  }
  assert.match(readCertPairs('/nonexistent/certs', '/d').problems[0]!.message, /ENOENT/);
});

test('certSteps: new pairs are created, loaded, committed and listed; renewed ones loaded and committed; removed ones unlisted and deleted; unchanged ones left alone', () => {
  const b = (sni: string, pem: string): CertBundle => ({ sni, file: `/d/${sni.replace('*', '_')}.pem`, pem });
  const same = b('same.example.com', 'PEM-same\n');
  const renewed = b('renewed.example.com', 'PEM-new\n');
  const added = b('*.example.net', 'PEM-added\n');
  const had = new Map([
    [same.file, pemHash(same.pem)],
    [renewed.file, pemHash('PEM-old\n')],
    ['/d/gone.example.com.pem', pemHash('PEM-gone\n')],
  ]);
  const steps = certSteps(had, [same, renewed, added], '/d.list');
  assert.deepEqual(
    steps.map((s) => s.command),
    [
      'set ssl cert /d/renewed.example.com.pem <<\nPEM-new\n',
      'commit ssl cert /d/renewed.example.com.pem',
      'new ssl cert /d/_.example.net.pem',
      'set ssl cert /d/_.example.net.pem <<\nPEM-added\n',
      'commit ssl cert /d/_.example.net.pem',
      'add ssl crt-list /d.list <<\n/d/_.example.net.pem *.example.net\n',
      'del ssl crt-list /d.list /d/gone.example.com.pem',
      'del ssl cert /d/gone.example.com.pem',
    ],
  );
  // What a step says about itself never carries the PEM.
  for (const s of steps) assert.doesNotMatch(s.what, /PEM/);
  // HAProxy's answers that mean success (as HAProxy 2.6 words them).
  assert.ok(steps[0]!.ok.test('Transaction created for certificate /d/renewed.example.com.pem!'));
  assert.ok(steps[2]!.ok.test("New empty certificate store '/d/_.example.net.pem'!"));
  assert.ok(steps[5]!.ok.test("Inserting certificate '/d/_.example.net.pem' in crt-list '/d.list'.\nSuccess!"));
  assert.ok(steps[7]!.ok.test("Certificate '/d/gone.example.com.pem' deleted!"));
  assert.equal(steps[1]!.ok.test("Can't commit: no transaction for this certificate"), false);
  assert.deepEqual(certSteps(new Map([[same.file, pemHash(same.pem)]]), [same], '/d.list'), []);
});
