/** Site loss under load through HAProxy driven by hafen (test/contract/failover.ts). */
import { siteLossUnderLoad } from '../contract/failover.js';
import { haproxyEngine, haproxySkip } from '../helpers/engines.js';

siteLossUnderLoad('HAProxy', haproxyEngine, haproxySkip);
