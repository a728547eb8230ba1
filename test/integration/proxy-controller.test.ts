/** The built-in proxy following the controller (test/contract/proxy-controller.ts). */
import { proxyFollowsController } from '../contract/proxy-controller.js';

proxyFollowsController('built-in', { engine: 'builtin' });
