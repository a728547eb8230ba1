/** Site loss under load through the built-in proxy (test/contract/failover.ts). */
import { siteLossUnderLoad } from '../contract/failover.js';
import { builtinEngine } from '../helpers/engines.js';

siteLossUnderLoad('built-in', builtinEngine);
