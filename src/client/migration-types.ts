/** The migration API's bodies and answers (moves between sites and their consent), shared by the controller and the CLI. */
import type { MigrationState, Decision, MigrationEvent, MigrationRecord } from '../core/migration/consent.js';
import type { MoveProblem } from '../core/migration/moves.js';
import type { WavePlan } from '../core/migration/waves.js';

export type { MigrationState, Decision, MigrationEvent, MigrationRecord };

export interface MigrationProposeRequest {
  apps?: string[];
  /** Share of the customers, 0 to 1. */
  share?: number;
  to: string;
  from?: string;
  start?: string;
  days?: number;
}

export interface MigrationProposal {
  revision: number;
  plan: Omit<WavePlan, 'placements'>;
  problems: MoveProblem[];
  migrations: MigrationRecord[];
  /** What could not be sent, and why. */
  warnings: string[];
}
