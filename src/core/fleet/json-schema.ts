/** The published JSON Schema of a fleet file, generated from the zod schemas (one source of truth). */
import { z } from 'zod';
import { FleetDocument } from './schema/fleet.js';

export const FLEET_SCHEMA_ID = 'https://hafen.dev/schema/fleet-v1.json';

/**
 * JSON Schema (draft 2020-12) of one fleet file, as written (sizes as strings, defaults
 * optional). Every key is optional because a fleet may be split over several files.
 */
export function fleetJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(FleetDocument, { io: 'input', target: 'draft-2020-12', unrepresentable: 'throw' }) as Record<string, unknown>;
  const { $schema, ...rest } = schema;
  return { $schema, $id: FLEET_SCHEMA_ID, title: 'hafen fleet', ...rest };
}
