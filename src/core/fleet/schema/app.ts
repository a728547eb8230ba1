/** Apps: a customer's system, its workload, redundancy and data. */
import { z } from 'zod';
import { Country, Description, Id, Labels, Port, SPREAD_LEVELS, Size } from './common.js';
import { Backup } from './backup.js';
import { MOVE_MODES } from './defaults.js';
import { Duration, Monitoring, parseDuration } from './monitoring.js';

const ComposeService = z
  .looseObject({
    image: z.string().optional().describe('Image reference.'),
    build: z.unknown().optional().describe('Build context (compose syntax).'),
  })
  .refine((s) => s.image !== undefined || s.build !== undefined, 'a compose service needs an "image" or a "build"')
  .describe('A compose service (compose file syntax).');

/** A top-level section of a compose file (volumes, networks, secrets, configs): entries by name, in Compose's syntax. */
const ComposeSection = (what: string) => z.record(z.string(), z.unknown()).optional().describe(`The project's ${what}, by name (compose file syntax; checked against the Compose Specification).`);

export const ComposeWorkload = z
  .strictObject({
    project: z
      .string()
      .optional()
      .describe('A compose project directory, relative to the fleet file: its compose file(s), `.env`, `env_file`s and the files its relative bind mounts, secrets and configs name, taken as they are and shipped with the revision.'),
    files: z
      .array(z.string())
      .min(1)
      .optional()
      .describe('The project\'s compose files, in the order Compose merges them (`-f`), relative to the project directory (default: compose.yaml, compose.yml, docker-compose.yaml or docker-compose.yml, with its override file, as Compose looks them up).'),
    data: z
      .array(z.string())
      .optional()
      .describe('Directories of the project that hold data, relative to it (e.g. ./postgres): never shipped, made on the host; a relative bind-mount source the project directory does not hold is data too.'),
    file: z.string().optional().describe('A compose file, relative to the fleet file: short for `project` (its directory) with `files` (it).'),
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]*$/, 'must be a compose project name: lower-case letters, digits, "_" and "-", starting with a letter or digit')
      .optional()
      .describe('The project\'s name on its hosts (default: the `name:` its compose files declare, else its directory\'s name, as Compose derives it): its containers and volumes are named after it.'),
    workingDir: z
      .string()
      .optional()
      .describe('Where the project lives on its hosts, as an absolute path (e.g. /srv/compose/gitea): hafen writes the shipped files there and runs Compose in it with no override, so a project that already runs there is adopted as it is — same bind-mount paths, same containers, none recreated (default: below the agent\'s state directory, with hafen\'s labels added).'),
    services: z.record(z.string(), ComposeService).optional().describe('Inline compose services, by name.'),
    volumes: ComposeSection('named volumes (the app\'s `volumes` are declared by hafen; a definition here adds its driver and options)'),
    networks: ComposeSection('networks'),
    secrets: ComposeSection('secrets (inline projects: from the environment or external)'),
    configs: ComposeSection('configs (inline projects: inline content, from the environment or external)'),
  })
  .refine((c) => [c.project, c.file, c.services].filter((x) => x !== undefined).length === 1, 'compose needs exactly one of "project", "file" or "services"')
  .refine((c) => c.services !== undefined || [c.volumes, c.networks, c.secrets, c.configs].every((x) => x === undefined), 'a compose project directory declares its volumes, networks, secrets and configs in its own compose file: remove them here')
  .refine((c) => c.files === undefined || c.project !== undefined, '"files" belongs to a "project" (a "file" names its one compose file itself)')
  .refine((c) => (c.data === undefined && c.name === undefined && c.workingDir === undefined) || c.services === undefined, '"data", "name" and "workingDir" belong to a project directory ("project" or "file")')
  .describe('A docker-compose project: a directory (`project`, or one compose `file`) or inline `services`.');

export const KubernetesWorkload = z
  .strictObject({
    manifest: z.string().describe('Path of a manifest, relative to the fleet file.'),
    namespace: z.string().optional().describe('Namespace (default: the app id).'),
  })
  .describe('Kubernetes manifests.');

/** Names of secrets kept (encrypted) by the controller: set with `hafen secret set NAME`. */
export const SecretName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_.-]{0,99}$/, 'must be a secret name: lower-case letters, digits, ".", "_" and "-", at most 100 characters')
  .describe('Name of a secret kept by the controller (hafen secret set NAME).');

export const SecretRef = z
  .strictObject({ secret: SecretName })
  .describe('A value taken from the controller\'s encrypted secrets; only the agent of a host that runs the app receives it.');

export const EnvValue = z.union([z.string(), SecretRef]).describe('A literal value, or {secret: NAME} for a secret.');

export const Env = z
  .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name (letters, digits, "_", not starting with a digit)'), EnvValue)
  .describe('Environment variables: literal values or {secret: NAME}.');

export const ProcessWorkload = z
  .strictObject({
    command: z.array(z.string()).min(1, 'a process needs a command').describe('argv of the process.'),
    env: Env.optional().describe('Environment of the process (added to the app\'s env; these win).'),
    cwd: z.string().optional().describe('Working directory.'),
  })
  .describe('A plain process supervised by the agent.');

/** A PostgreSQL setting's name (as postgresql.conf spells it). */
const PgSettingName = z.string().regex(/^[a-z][a-z0-9_.]*$/, 'must be a PostgreSQL setting name like "max_connections" or "work_mem"');

/** Settings hafen keeps itself: the replication and where the server listens follow from the fleet. */
export const PG_MANAGED_SETTINGS = ['listen_addresses', 'port', 'unix_socket_directories', 'hba_file', 'ident_file', 'data_directory', 'config_file', 'wal_level', 'hot_standby', 'primary_conninfo', 'synchronous_standby_names', 'synchronous_commit', 'restore_command', 'recovery_target_timeline', 'include', 'include_dir', 'include_if_exists'] as const;

export const PostgresWorkload = z
  .strictObject({
    password: SecretRef.describe("The password of the server's superuser role `hafen` — the role hafen replicates and rebuilds standbys with — and of `user`: {secret: NAME}."),
    database: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case PostgreSQL identifier (letters, digits, "_")')
      .optional()
      .describe('A database made when the cluster is first made, owned by `user`.'),
    user: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case PostgreSQL identifier (letters, digits, "_")')
      .refine((u) => u !== 'hafen' && !u.startsWith('pg_'), 'hafen and pg_* are PostgreSQL\'s and hafen\'s own roles')
      .optional()
      .describe('A login role made when the cluster is first made, with the same password (the app connects as it).'),
    settings: z
      .record(PgSettingName, z.union([z.string(), z.number(), z.boolean()]))
      .optional()
      .describe('postgresql.conf settings of every replica (e.g. max_connections: 200); what replication needs is hafen\'s and cannot be set here.'),
  })
  .superRefine((p, ctx) => {
    for (const k of Object.keys(p.settings ?? {})) {
      if ((PG_MANAGED_SETTINGS as readonly string[]).includes(k)) ctx.addIssue({ code: 'custom', path: ['settings', k], message: `${k} is kept by hafen (listening, replication and promotion follow from the fleet)` });
    }
  })
  .describe("A PostgreSQL server (Debian's packages on a host with runtime postgres): one cluster per replica, listening on the app's port at its host's address. With redundancy.mode standby the replicas form one primary and hot standbys by PostgreSQL's streaming replication (synchronous for critical apps), promoted and rebuilt by hafen.");

export const WORKLOAD_KINDS = ['compose', 'kubernetes', 'process', 'postgres'] as const;

export const Workload = z
  .strictObject({
    compose: ComposeWorkload.optional(),
    kubernetes: KubernetesWorkload.optional(),
    process: ProcessWorkload.optional(),
    postgres: PostgresWorkload.optional(),
  })
  .superRefine((w, ctx) => {
    const kinds = WORKLOAD_KINDS.filter((k) => w[k] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: `a workload needs exactly one of compose, kubernetes, process or postgres${kinds.length ? ` (found ${kinds.join(' and ')})` : ''}`,
      });
    }
  })
  .describe('What runs: exactly one of compose, kubernetes, process or postgres.');

export const Redundancy = z
  .strictObject({
    replicas: z.number().int().min(1).default(1).describe('How many replicas run (default 1).'),
    spreadOver: z
      .enum(SPREAD_LEVELS)
      .optional()
      .describe('Replicas must sit in different hosts/sites/facilities/providers/countries (default: site for critical apps, host otherwise).'),
    mode: z
      .enum(['active-active', 'standby'])
      .default('active-active')
      .describe('active-active: all replicas take traffic; standby: one replica (the active) takes every request at every site, the others take none.'),
    sharedState: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe('Where the state of an app whose replicas all write lives, outside the replicas (e.g. "PostgreSQL cluster db1.example, managed by the customer"): an app with data (volumes, or a compose project\'s volumes and data directories) may run several active-active replicas, or move live, only with it.'),
    replicateEvery: Duration.refine((d) => (parseDuration(d) ?? 0) >= 5000, 'must be at least 5s')
      .optional()
      .describe('standby: how often each standby copies the active\'s data (rsync over ssh from the active\'s host; default "60s"). PostgreSQL apps stream instead: no interval.'),
    rpo: Duration.refine((d) => (parseDuration(d) ?? 0) >= 5000, 'must be at least 5s')
      .optional()
      .describe('standby: the data a failover may lose, as the age of a standby\'s newest copy; a standby whose copy is older alerts (default three times replicateEvery). PostgreSQL apps: how long a standby may go without streaming before it alerts (a critical one\'s failover loses nothing while one streams).'),
  })
  .describe('How many replicas and how far apart.');

export const Volume = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/, 'must be a lower-case volume name').describe('Volume name.'),
    size: Size.describe('Current size of the data, e.g. "50GiB".'),
    changePerDay: z
      .string()
      .regex(/^\s*([0-9]+(\.[0-9]+)?\s*%|[0-9]+(\.[0-9]+)?\s*[kKmMgGtTpP]i?[bB]?)\s*$/, 'must be a size like "2GiB" or a share of the size like "3%"')
      .optional()
      .describe('Data changed per day, as a size ("2GiB") or a share of the size ("3%"); sizes migrations and backups.'),
    path: z.string().optional().describe('Mount path inside the workload.'),
  })
  .describe('A data volume of the app.');

export const HealthCheck = z
  .strictObject({
    path: z.string().regex(/^\//, 'must start with "/"').default('/').describe('HTTP path to request (default "/").'),
    expectStatus: z.number().int().min(100).max(599).default(200).describe('Expected HTTP status (default 200).'),
    keyword: z.string().optional().describe('Text the response body must contain.'),
  })
  .describe('How to tell that a replica is healthy.');

export const ExtraCheck = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'must be a short lower-case name like "api" or "db-port"').describe('Name of the check, unique in the app.'),
    http: z
      .strictObject({
        path: z.string().regex(/^\//, 'must start with "/"').default('/').describe('Path to request.'),
        port: Port.optional().describe('Port of each replica (default: the app\'s port).'),
        expectStatus: z.number().int().min(100).max(599).default(200).describe('Expected status (default 200).'),
        keyword: z.string().optional().describe('Text the answer must contain.'),
        via: z.enum(['direct', 'proxy']).default('direct').describe('direct: every replica; proxy: every domain through the edge proxies, as a visitor.'),
      })
      .optional()
      .describe('An HTTP check.'),
    tcp: z.strictObject({ port: Port.describe('Port each replica must accept connections on.') }).optional().describe('A TCP connect check.'),
  })
  .refine((c) => (c.http === undefined) !== (c.tcp === undefined), 'a check needs exactly one of "http" or "tcp"')
  .describe('A check of the app besides its health endpoint, probed from every site like the others.');

export const PlacementConstraints = z
  .strictObject({
    countries: z.array(Country).min(1).optional().describe('Only in these countries (data residency).'),
    sites: z.array(Id).min(1).optional().describe('Only at these sites.'),
    hostLabels: Labels.optional().describe('Only on hosts with all of these labels.'),
    hosts: z.array(Id).min(1).optional().describe('Only on these hosts (by id): e.g. a compose project adopted where it runs (hafen import writes it); remove it to let hafen place the app.'),
  })
  .describe('Where the app may run.');

const Domain = z
  .string()
  .regex(
    /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
    'must be a lower-case host name, optionally starting with "*." (like "shop.example.com")',
  );

export const App = z
  .strictObject({
    id: Id.describe('Short name used in references, e.g. "acme-shop".'),
    name: z.string().optional().describe('Display name.'),
    customer: Id.describe('The customer that owns the app (an id from customers).'),
    criticality: z.enum(['critical', 'standard']).default('standard').describe('critical apps (KRITIS) must survive the loss of any single site, facility or provider (policies.criticalSurvivesSiteLoss).'),
    redundancy: Redundancy.prefault({}),
    workload: Workload,
    domains: z.array(Domain).default([]).describe('Host names the edge proxies route to this app.'),
    httpsRedirect: z.boolean().default(false).describe('The edge proxies answer plain HTTP for the domains with a redirect to HTTPS (default false).'),
    proxy: z
      .strictObject({
        tryTimeout: Duration.refine((d) => { const ms = parseDuration(d) ?? 0; return ms >= 100 && ms <= 600_000; }, 'must be between 100ms and 10m')
          .optional()
          .describe('How long one try of a request waits on a replica that shows no sign of life before it is given up (sent to another replica when it may be sent twice, else answered 504). Default: 4 × the slowest of the replica\'s last 64 answers, between 1s and 10s. Set it for an app whose answers can take longer than that without other traffic or a health check meanwhile.'),
      })
      .optional()
      .describe('How the edge proxies treat the app\'s requests.'),
    port: Port.optional().describe('Port of the replicas the proxies send traffic to, on their hosts\' addresses: a compose app\'s services must publish it ("8080:80"). Host ports are a host\'s to give once: two apps that publish one are never placed on one host.'),
    env: Env.optional().describe('Environment of every service or process of the app; {secret: NAME} values come from the controller\'s encrypted secrets.'),
    health: HealthCheck.optional(),
    monitoring: Monitoring.optional(),
    checks: z.array(ExtraCheck).default([]).describe('Extra checks besides the health endpoint (an API path, a database port).'),
    remediation: z
      .strictObject({
        restartAfter: z.number().int().min(1).max(20).default(3).describe('Restart a replica whose health check failed this many times in a row, as the sites that see it down agree (default 3).'),
        maxPerHour: z.number().int().min(1).max(20).default(2).describe('At most this many restarts of one replica per hour; beyond that, people decide (default 2).'),
      })
      .optional()
      .describe('Opt-in self-healing: the controller has the agent restart a replica that stays unhealthy. Every restart is an event.'),
    resources: z
      .strictObject({
        cpu: z.number().positive().describe('CPU cores per replica.'),
        memory: Size.describe('Memory per replica.'),
        disk: Size.prefault('0B').describe('Disk per replica besides the volumes (images, logs).'),
      })
      .describe('What one replica needs.'),
    volumes: z.array(Volume).default([]).describe('Data volumes (their sizes count against host disk).'),
    backup: Backup.optional(),
    placement: PlacementConstraints.optional(),
    migration: z.enum(MOVE_MODES).optional().describe('live: moves without a maintenance window (without downtime; a standby app by switchovers, writes pausing for seconds); window: moves only in an agreed maintenance window (default).'),
    description: Description.optional(),
  })
  .describe('A customer system: its workload, redundancy, domains and data.');
