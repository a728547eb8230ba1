/** The migration API's bodies and answers (moves between sites and their consent), shared by the controller and the CLI. */
import type { MoveState, Decision, MoveEvent, MoveRecord } from '../core/move/consent.js';
import type { MoveProblem } from '../core/move/moves.js';
import type { WavePlan } from '../core/move/waves.js';

export type { MoveState, Decision, MoveEvent, MoveRecord };

export interface MoveProposeRequest {
  apps?: string[];
  /** Share of the customers, 0 to 1. */
  share?: number;
  to: string;
  from?: string;
  start?: string;
  days?: number;
}

export interface MoveProposal {
  revision: number;
  plan: Omit<WavePlan, 'placements'>;
  problems: MoveProblem[];
  migrations: MoveRecord[];
  /** What could not be sent, and why. */
  warnings: string[];
}
