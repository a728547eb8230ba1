/** HAProxy driven by hafen following the controller (test/contract/proxy-controller.ts). */
import { existsSync } from 'node:fs';
import { proxyFollowsController } from '../contract/proxy-controller.js';

const HAPROXY = '/usr/sbin/haproxy';

proxyFollowsController('HAProxy', { engine: 'haproxy', haproxy: HAPROXY }, existsSync(HAPROXY) || process.env.HAFEN_REQUIRE_SYSTEM === '1' ? undefined : 'haproxy is not installed (run scripts/install-system-deps.sh)');
