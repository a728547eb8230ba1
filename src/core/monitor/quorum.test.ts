import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { lostSites, nextView, verdict, type SiteView } from './quorum.js';

const T = { fall: 2, rise: 2 };
const run = (oks: boolean[], start?: SiteView): SiteView | undefined =>
  oks.reduce<SiteView | undefined>((v, ok, i) => nextView(v, { ok, at: 1000 + i, ms: 1, ...(ok ? {} : { error: 'refused' }) }, T), start);

test('a view goes down after `fall` failures in a row and back up after `rise` successes', () => {
  assert.equal(run([true])!.up, true, 'a new check is up at its first success');
  assert.equal(run([false])!.up, undefined, 'one failure of a new check decides nothing');
  assert.equal(run([true, false])!.up, true, 'one failure does not take it down');
  assert.equal(run([true, false, false])!.up, false);
  assert.equal(run([true, false, false, true])!.up, false, 'one success does not bring it back');
  assert.equal(run([true, false, false, true, true])!.up, true);
  assert.equal(run([true, false, true, false])!.up, true, 'alternating results never reach the threshold');
  assert.equal(run([true, false, false])!.error, 'refused');
});

const view = (up: boolean, at = 10_000): SiteView => ({ up, fails: up ? 0 : 2, oks: up ? 2 : 0, at, ms: 1 });

test('verdict: two sites agreeing make it down; one site alone makes it degraded and says why', () => {
  const now = 10_000;
  assert.equal(verdict(new Map([['nue', view(true)], ['vie', view(true)], ['hel', view(true)]]), now, 30_000, 3).state, 'up');
  const one = verdict(new Map([['nue', view(true)], ['vie', view(true)], ['hel', view(false)]]), now, 30_000, 3);
  assert.equal(one.state, 'degraded');
  assert.match(one.reason, /down from hel only.*network path/);
  const two = verdict(new Map([['nue', view(false)], ['vie', view(true)], ['hel', view(false)]]), now, 30_000, 3);
  assert.equal(two.state, 'down');
  assert.deepEqual(two.downFrom, ['hel', 'nue']);
  assert.equal(verdict(new Map([['nue', view(false)]]), now, 30_000, 3).state, 'degraded', 'one site alone never makes it down in a fleet of three (the others may not have reported yet)');
  assert.equal(verdict(new Map([['nue', view(false)]]), now, 30_000, 1).state, 'down', 'in a fleet of one site, its view is all there is');
  assert.equal(verdict(new Map([['nue', view(false)], ['vie', view(true)]]), now, 30_000, 3).state, 'degraded');
  assert.equal(verdict(new Map([['nue', view(false, 0)], ['vie', view(false, 0)]]), now, 5_000, 3).state, 'unknown', 'stale views do not count');
});

test('verdict (property): down needs two sites when two or more report; up only when none sees it down', () => {
  const sites = ['nue', 'vie', 'hel', 'ams'];
  fc.assert(
    fc.property(fc.array(fc.option(fc.boolean(), { nil: undefined }), { minLength: 4, maxLength: 4 }), (states) => {
      const views = new Map<string, SiteView>();
      states.forEach((s, i) => s !== undefined && views.set(sites[i]!, view(s)));
      const v = verdict(views, 10_000, 30_000, 4);
      const down = states.filter((s) => s === false).length;
      const reporting = states.filter((s) => s !== undefined).length;
      if (v.state === 'down') assert.ok(down >= 2, 'never down from one site');
      if (v.state === 'up') assert.equal(down, 0);
      if (v.state === 'degraded') assert.equal(down, 1);
      assert.equal(v.state === 'unknown', reporting === 0);
    }),
  );
});

test('a site is lost only when two other sites see every one of its checks down', () => {
  const now = 10_000;
  const checksAt = new Map([['hel', ['replica:a-r1', 'replica:b-r1']], ['nue', ['replica:a-r2']]]);
  const views = (m: Record<string, Record<string, boolean>>) => new Map(Object.entries(m).map(([id, per]) => [id, new Map(Object.entries(per).map(([s, up]) => [s, view(up)]))]));
  const all = views({
    'replica:a-r1': { nue: false, vie: false, hel: false },
    'replica:b-r1': { nue: false, vie: false, hel: true },
    'replica:a-r2': { nue: true, vie: true, hel: false },
  });
  assert.deepEqual([...lostSites(checksAt, all, now, 30_000)], [['hel', ['nue', 'vie']]]);
  const oneCheckUp = views({ 'replica:a-r1': { nue: false, vie: false }, 'replica:b-r1': { nue: false, vie: true } });
  assert.equal(lostSites(checksAt, oneCheckUp, now, 30_000).size, 0, 'vie still reaches b-r1: one observer is not enough');
  const ownView = views({ 'replica:a-r1': { hel: false, nue: false }, 'replica:b-r1': { hel: false, nue: false } });
  assert.equal(lostSites(checksAt, ownView, now, 30_000).size, 0, 'the site\'s own probes do not count');
});

test('lostSites (property): never declared without two distinct other observers', () => {
  const sites = ['nue', 'vie', 'hel'];
  fc.assert(
    fc.property(fc.array(fc.array(fc.option(fc.boolean(), { nil: undefined }), { minLength: 3, maxLength: 3 }), { minLength: 1, maxLength: 4 }), (perCheck) => {
      const ids = perCheck.map((_, i) => `c${i}`);
      const views = new Map(perCheck.map((states, i) => [ids[i]!, new Map(states.flatMap((s, j) => (s === undefined ? [] : [[sites[j]!, view(s)] as const])))]));
      const lost = lostSites(new Map([['hel', ids]]), views, 10_000, 30_000);
      if (lost.has('hel')) {
        for (const states of perCheck) assert.ok(states[0] === false && states[1] === false, 'nue and vie both see every check down');
      } else {
        assert.ok(perCheck.some((s) => s[0] !== false || s[1] !== false));
      }
    }),
  );
});
