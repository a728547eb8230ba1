import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StatusResponse } from '../client/client.js';
import { siteCards } from './fleet-view.js';

const unit = (site: string, state: string, healthy?: boolean) => ({ unit: 'u', host: `${site}-1`, site, state, ...(healthy !== undefined ? { healthy } : {}), check: '', hostUp: true, restarts: 0 });

test('site cards: hosts, apps up/degraded/down where they have replicas, unmuted alerts of the site', () => {
  const status = {
    revision: 3,
    sites: [
      { site: 'nue', name: 'Nuremberg', country: 'DE', provider: 'a', state: 'up', seenDownBy: [], hosts: 2, hostsUp: 2, replicasDown: 0, probers: 'none' },
      { site: 'hel', name: 'Helsinki', country: 'FI', provider: 'b', state: 'degraded', seenDownBy: [], hosts: 1, hostsUp: 0, replicasDown: 1, probers: 'none' },
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
  const [nue, hel] = siteCards(status, alerts);
  assert.deepEqual(nue!.apps, { up: 0, degraded: 1, down: 0 });
  assert.deepEqual(hel!.apps, { up: 1, degraded: 0, down: 1 });
  assert.equal(hel!.alerts, 1, 'the silenced one does not count');
  assert.deepEqual([hel!.hosts, hel!.hostsUp, hel!.state], [1, 0, 'degraded']);
});
