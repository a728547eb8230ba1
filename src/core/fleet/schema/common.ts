/** Field types shared by the fleet schemas. Every field carries a description for the JSON Schema. */
import { z } from 'zod';
import { RATE_PATTERN, SIZE_PATTERN, parseBitrate, parseBytes } from '../units.js';

/** Lower-case DNS-label style name: the key every reference uses. */
export const Id = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must be a lower-case name of letters, digits and dashes, like "nue-app-01"');

/** Bytes, written with a unit ("512MiB", "2TiB"). */
export const Size = z
  .string()
  .regex(new RegExp(SIZE_PATTERN), 'must be a size with a unit, like "512MiB", "64GiB" or "2TiB"')
  .transform((s) => parseBytes(s)!);

/** Bits per second, written with a unit ("10Gbit/s"). */
export const Bitrate = z
  .string()
  .regex(new RegExp(RATE_PATTERN), 'must be a bit rate with a unit, like "1Gbit/s" or "500Mbps"')
  .transform((s) => parseBitrate(s)!);

/** ISO 3166-1 alpha-2 country code. */
export const Country = z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166 country code of two capital letters, like "DE"');

export const Port = z.number().int().min(1).max(65535);

/** Free-form labels, e.g. `disk: nvme`. */
export const Labels = z
  .record(z.string().regex(/^[a-zA-Z0-9./_-]+$/, 'label names use letters, digits and . / _ -'), z.string())
  .describe('Free-form key/value labels, matched by placement constraints.');

/** References to declared risk groups. */
export const RiskGroupRefs = z
  .array(Id)
  .describe('Ids of declared riskGroups this belongs to (a power feed, an upstream carrier).');

export const Description = z.string().describe('Free text for people.');

/** Levels over which replicas can be spread, from the narrowest to the widest. */
export const SPREAD_LEVELS = ['host', 'site', 'facility', 'provider', 'country'] as const;
export type SpreadLevel = (typeof SPREAD_LEVELS)[number];
