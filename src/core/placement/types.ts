/** What the scheduler produces: where each replica runs, what could not be placed, what moved. */

export interface Placement {
  app: string;
  /** 1-based replica number. */
  replica: number;
  host: string;
  site: string;
}

export interface Unplaced {
  app: string;
  replica: number;
  /** How many hosts each rule ruled out, in numbers. */
  reasons: string[];
  /** What would make it placeable. */
  fixes: string[];
}

export interface Move {
  app: string;
  replica: number;
  from: string;
  to: string;
}

export interface Plan {
  placements: Placement[];
  unplaced: Unplaced[];
  /** Replicas that run on another host than in the previous plan. */
  moves: Move[];
  /** Replicas the previous plan did not have. */
  added: Placement[];
  /** Replicas of the previous plan that no longer exist (app removed or fewer replicas). */
  removed: Placement[];
}
