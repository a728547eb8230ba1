import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StatusResponse } from '../client/client.js';
import { siteCards, used } from './fleet-view.js';

const unit = (site: string, state: string, healthy?: boolean) => ({ unit: 'u', host: `${site}-1`, site, state, ...(healthy !== undefined ? { healthy } : {}), check: '', hostUp: true, restarts: 0 });

test('site cards: hosts, apps up/degraded/down where they have replicas, unmuted alerts of the site', () => {
  const status = {
    revision: 3,
    sites: [
      { site: 'nue', name: 'Nuremberg', country: 'DE', provider: 'a', facility: 'f1', witness: false, state: 'up', seenDownBy: [], hosts: 2, hostsUp: 2, replicasDown: 0, probers: 'none' },
      { site: 'hel', name: 'Helsinki', country: 'FI', provider: 'b', facility: 'f2', witness: false, state: 'degraded', seenDownBy: [], hosts: 1, hostsUp: 0, replicasDown: 1, probers: 'none' },
    ],
    apps: [
      { app: 'shop', customer: 'c', critical: false, domains: [], desired: 3, running: 2, units: [unit('nue', 'running', true), unit('nue', 'failed'), unit('hel', 'running', true)] },
      { app: 'blog', customer: 'c', critical: false, domains: [], desired: 1, running: 0, units: [unit('hel', 'running', false)] },
    ],
    hosts: [],
    proxies: [],
  } as StatusResponse;
  const alerts = [
    { key: 'a', severity: 'warning' as const, group: 'g', summary: '', labels: { site: 'hel' }, since: '' },
    { key: 'b', severity: 'warning' as const, group: 'g', summary: '', labels: { site: 'hel' }, since: '', silencedBy: 's' },
  ];
  const amount = (usable: number, allocated: number) => ({ total: usable * 1.25, usable, allocated, free: usable - allocated });
  const capacity = { sites: [{ site: 'hel', hosts: 1, replicas: 2, cpu: amount(8, 2), memory: amount(100, 100), disk: amount(10, 12) }] };
  const [nue, hel] = siteCards(status, alerts, capacity);
  assert.equal(nue!.capacity, undefined, 'no capacity row: no bars');
  assert.deepEqual([used(hel!.capacity!.cpu), used(hel!.capacity!.memory), used(hel!.capacity!.disk)], [0.25, 1, 1.2]);
  assert.equal(used(amount(0, 1)), Infinity);
  assert.equal(hel!.facility, 'f2');
  assert.deepEqual(nue!.apps, { up: 0, degraded: 1, down: 0 });
  assert.deepEqual(hel!.apps, { up: 1, degraded: 0, down: 1 });
  assert.equal(hel!.alerts, 1, 'the silenced one does not count');
  assert.deepEqual([hel!.hosts, hel!.hostsUp, hel!.state], [1, 0, 'degraded']);
});
