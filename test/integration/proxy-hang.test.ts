/** A replica that hangs, through the built-in proxy (test/contract/hang.ts): frozen; blackholed needs root and nftables (test/system/proxy-hang.test.ts). */
import { hungReplicaUnderLoad } from '../contract/hang.js';
import { builtinEngine } from '../helpers/engines.js';

hungReplicaUnderLoad('built-in', ['frozen'], builtinEngine);
