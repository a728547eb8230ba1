/** Fleet-wide policies the planner and the risk report hold the fleet to. */
import { z } from 'zod';
import { Id } from './common.js';
import { Duration } from './alerting.js';

export const Policies = z
  .strictObject({
    maxCustomerShare: z
      .number()
      .gt(0, 'must be above 0')
      .max(1, 'must be at most 1')
      .default(0.5)
      .describe('Largest weighted share of customers any single failure may affect (default 0.5).'),
    criticalSurvivesSiteLoss: z
      .boolean()
      .default(true)
      .describe('Critical apps must keep a replica through the loss of any one site, facility or provider (default true).'),
    capacityHeadroom: z
      .number()
      .min(0)
      .max(0.9, 'must be at most 0.9')
      .default(0.2)
      .describe('Share of every host\'s cpu, memory and disk kept free (default 0.2).'),
    migrations: z
      .strictObject({
        maxCustomersPerWave: z
          .number()
          .int()
          .min(1)
          .default(5)
          .describe('Most customers whose apps go down for a cutover in one wave (one night, noon to noon UTC; default 5). Live moves do not count.'),
        bandwidthShare: z
          .number()
          .gt(0, 'must be above 0')
          .max(1, 'must be at most 1')
          .default(0.5)
          .describe('Share of the slower site uplink a migration copy may use (default 0.5); copies into one site run one at a time.'),
        notify: z
          .strictObject({
            receiver: Id.describe('The alerting receiver that carries proposals: an e-mail receiver sends them to the customer\'s contacts (through its SMTP server, from its sender); a webhook receiver gets them as JSON.'),
            publicUrl: z.string().regex(/^https?:\/\/[^\s/]+(\/[^\s]*)?$/, 'must be an http:// or https:// URL').optional().describe('Where customers reach the controller\'s consent pages, e.g. "https://hafen.ops.example"; without it, proposals ask for an answer by reply and operators record it.'),
            remindEvery: Duration.default('24h').describe('An unanswered proposal is reminded this often (default "24h").'),
          })
          .optional()
          .describe('How customers are asked for consent and told about moves.'),
        live: z
          .strictObject({
            weights: z.array(z.number().int().min(1).max(100)).min(1).max(10).default([10, 50, 100]).refine((w) => w.every((x, i) => i === 0 || x > w[i - 1]!) && w.at(-1) === 100, 'must rise step by step and end at 100').describe('The target\'s share of the traffic at each step, in percent (default [10, 50, 100]).'),
            step: Duration.default('1m').describe('How long each step is held while the target stays healthy (default "1m").'),
            startTimeout: Duration.default('5m').describe('How long the target may take to run and pass its health check before the move rolls back (default "5m").'),
            drain: Duration.default('30s').describe('How long the source finishes its requests in flight before it stops (default "30s").'),
          })
          .prefault({})
          .describe('How a live move shifts traffic.'),
        cutover: z
          .strictObject({
            user: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'must be a user name').default('hafen-move').describe('The user the target host\'s agent signs in as on the source host (ssh) to copy the data with rsync; the source host\'s agent lets it in with a key for this move only, read-only to the app\'s data (rrsync), from the target\'s address (default "hafen-move").'),
            port: z.number().int().min(1).max(65535).default(22).describe('The sshd port of every host (default 22).'),
            rounds: z.number().int().min(1).max(20).default(5).describe('Most pre-copy rounds while the app runs, each copying what changed during the one before (default 5).'),
            verify: Duration.default('30s').describe('How long the app must stay healthy at the target, after its start there, before the source is retired (default "30s").'),
          })
          .prefault({})
          .describe('How a stateful move copies its data and switches.'),
      })
      .prefault({})
      .describe('Limits of the migration planner, and how customers are asked.'),
  })
  .describe('Risk and capacity policy.');
