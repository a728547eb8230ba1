/** Defaults applied to apps: app fields win over customer defaults, which win over fleet defaults. */
import { z } from 'zod';
import { Backup } from './backup.js';
import { Monitoring } from './monitoring.js';

export const MOVE_MODES = ['live', 'window'] as const;
export type MoveMode = (typeof MOVE_MODES)[number];

export const Defaults = z
  .strictObject({
    backup: Backup.optional().describe('Default backup policy; an app\'s own fields override it field by field.'),
    migration: z.enum(MOVE_MODES).optional().describe('Default migration mode.'),
    monitoring: Monitoring.optional().describe('Default probe interval and thresholds.'),
  })
  .describe('Defaults for apps.');
