/**
 * A replica that hangs (test/contract/hang.ts): blackholed through the built-in proxy (frozen runs
 * in the integration suite), frozen and blackholed through HAProxy driven by hafen.
 */
import { hungReplicaUnderLoad } from '../contract/hang.js';
import { builtinEngine, haproxyEngine, haproxySkip } from '../helpers/engines.js';
import { works } from '../helpers/system.js';

const nft = process.getuid?.() === 0 && works('nft', ['list', 'tables']);
const nftSkip = nft || process.env.HAFEN_REQUIRE_SYSTEM === '1' ? undefined : 'needs root and nft (run scripts/install-system-deps.sh)';

hungReplicaUnderLoad('built-in', ['blackholed'], builtinEngine, nftSkip);
hungReplicaUnderLoad('HAProxy', ['frozen'], haproxyEngine, haproxySkip);
hungReplicaUnderLoad('HAProxy', ['blackholed'], haproxyEngine, haproxySkip ?? nftSkip);
