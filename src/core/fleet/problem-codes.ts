/**
 * The codes of the problems validation finds in a fleet (`hafen validate`, and the details of
 * HAFEN_FLEET_INVALID), with what each means. ProblemList takes only these (the compiler checks
 * every check); docs/errors.md lists them beside the error catalogue (src/lib/error-codes.ts).
 */
export const PROBLEM_CODES = {
  // Reading the files.
  HAFEN_FLEET_SYNTAX: 'The YAML does not parse; nothing else in that file is checked.',
  HAFEN_FLEET_DUPLICATE_KEY: 'A key is given twice: in one mapping, or a fleet-wide key (policies, siteTemplate, ...) in two files.',
  HAFEN_FLEET_TYPE: 'A value of the wrong type: a list where a mapping belongs, a word where a number does.',
  HAFEN_FLEET_UNKNOWN_KEY: 'A key the schema does not have (often a typo; the message suggests the nearest).',
  HAFEN_FLEET_REQUIRED: 'Something the fleet needs is missing (a required key, or the siteTemplate when there are sites).',
  HAFEN_FLEET_INVALID: 'A value the schema does not accept.',
  HAFEN_FLEET_INVALID_FORMAT: 'A value in the wrong format (a duration, a size, a time of day, a name).',
  HAFEN_FLEET_INVALID_VALUE: 'A value outside what is allowed (an unsupported version, an unknown choice).',
  HAFEN_FLEET_OUT_OF_RANGE: 'A number outside its range (a port, a share, a segment size).',
  HAFEN_FLEET_EMPTY: 'The fleet declares nothing; the controller refuses to plan or apply it.',
  HAFEN_FLEET_FILE_EMPTY: 'One file of a fleet directory holds nothing (empty, or only comments).',

  // Across entries.
  HAFEN_FLEET_DUPLICATE_ID: 'Two entries of one kind share an id.',
  HAFEN_FLEET_DUPLICATE_DOMAIN: 'Two apps claim the same domain.',
  HAFEN_FLEET_UNKNOWN_REF: 'A reference to an id that does not exist (a site, host, customer, provider, receiver, ...).',
  HAFEN_FLEET_COUNTRY_MISMATCH: 'A site\'s country differs from its facility\'s.',
  HAFEN_FLEET_PREFIX_INVALID: 'A site prefix is not an IPv4 network in CIDR notation (or has host bits set).',
  HAFEN_FLEET_PREFIX_OVERLAP: 'Two site prefixes overlap.',
  HAFEN_FLEET_WITNESS: 'A witness site is used as more than a vantage point (apps, backups, prefixes), or its hosts are not probers with a fixed address.',
  HAFEN_FLEET_WINDOW_SHORT: 'A maintenance window is too short for a cutover (a warning).',
  HAFEN_FLEET_WINDOW_DUPLICATE: 'A maintenance window is given twice.',

  // Apps.
  HAFEN_FLEET_APP_TOO_BIG: 'An app needs more than any one eligible host has.',
  HAFEN_FLEET_NO_ELIGIBLE_HOST: 'No host can run the app (runtime, role, site or labels).',
  HAFEN_FLEET_NO_SITE_IN_COUNTRY: 'The app must stay in a country where the fleet has no site.',
  HAFEN_FLEET_STANDBY_REPLICATION: "A standby app's replication settings do not go together (an RPO shorter than the copy interval), or are given for an app that is not a standby app.",
  HAFEN_FLEET_POSTGRES: 'A PostgreSQL app lacks what its servers need (a port), or asks for what a PostgreSQL server does not speak (domains and HTTP checks through the edge proxies, sharedState).',
  HAFEN_FLEET_TWO_WRITERS: 'An app that keeps data would have two writers of it (several active-active replicas, or a live move of an app that is not a standby app) without saying where its state is kept: redundancy.mode: standby (whose live moves are switchovers), or redundancy.sharedState.',
  HAFEN_FLEET_SPREAD_IMPOSSIBLE: 'The app\'s replicas cannot be spread as asked: too few sites, hosts or providers.',
  HAFEN_FLEET_CRITICAL_NOT_REDUNDANT: 'A critical app would not survive a site loss (too few replicas, or not spread over sites).',
  HAFEN_FLEET_BACKUP_NO_REPOSITORY: 'An app is backed up to a site without a backup repository.',
  HAFEN_FLEET_BACKUP_NOT_OFFSITE: 'An app\'s backups stay at the only site it runs at (an error for critical apps, a warning otherwise).',
  HAFEN_FLEET_BACKUP_TARGET: 'A backup copy goes to the same site as the backup, or to an unknown one.',
  HAFEN_FLEET_COMPOSE_INVALID: 'A compose service the Compose Specification\'s JSON Schema refuses (a value of the wrong type or shape).',
  HAFEN_FLEET_UNDEFINED_VARIABLE: 'A compose service uses a variable (${NAME}) that the app\'s env does not define and that has no default.',
  HAFEN_FLEET_COMPOSE_PROJECT: 'A compose project directory hafen cannot take: missing, not sent with the fleet, without a compose file, or larger than what is shipped with a revision.',
  HAFEN_FLEET_COMPOSE_FILE_MISSING: 'A file a compose project names (an env_file, a secret\'s or config\'s file, a build context) is not in its directory.',
  HAFEN_FLEET_PORT_NOT_PUBLISHED: 'A compose app\'s `port` (where the proxies send its traffic) is not published by any of its services.',
  HAFEN_FLEET_COMPOSE_HOST_PATH: 'A compose service bind-mounts a path of the host, the project directory itself or a path outside it: hafen neither ships (beyond the project\'s files), backs up nor moves what is there.',
  HAFEN_FLEET_UNSUPPORTED: 'The fleet uses something hafen cannot run: a path outside a compose project\'s directory, a secret or config read from a file in an inline project.',

  // Addresses (IPAM).
  HAFEN_IPAM_SEGMENTS_DONT_FIT: 'A site\'s prefixes cannot hold the site template\'s segments.',
  HAFEN_IPAM_EXHAUSTED: 'A segment has no address left for its hosts.',
  HAFEN_IPAM_ADDRESS_INVALID: 'A host\'s fixed address is not an IPv4 address.',
  HAFEN_IPAM_ADDRESS_OUTSIDE_SEGMENT: 'A host\'s fixed address lies outside its segment.',
  HAFEN_IPAM_ADDRESS_RESERVED: 'A host\'s fixed address is the segment\'s network, broadcast, gateway or a reserved address.',
  HAFEN_IPAM_ADDRESS_CONFLICT: 'Two hosts have the same address.',
} as const satisfies Record<string, string>;

/** A code from the problem catalogue. */
export type ProblemCode = keyof typeof PROBLEM_CODES;
