/**
 * SQLite schema migrations, applied in order; `PRAGMA user_version` records the last one.
 * Never edit a migration that has shipped: add a new one.
 */
export const SQLITE_MIGRATIONS: readonly string[] = [
  // 1: revisions, tokens, credentials, host status.
  `
  CREATE TABLE revisions (
    number      INTEGER PRIMARY KEY,
    parent      INTEGER REFERENCES revisions(number),
    author      TEXT NOT NULL,
    message     TEXT,
    created_at  TEXT NOT NULL,
    fleet       TEXT NOT NULL,
    placements  TEXT NOT NULL,
    diff        TEXT NOT NULL
  );
  CREATE TABLE join_tokens (
    hash        TEXT PRIMARY KEY,
    host        TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT
  );
  CREATE TABLE host_credentials (
    hash        TEXT PRIMARY KEY,
    host        TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL
  );
  CREATE TABLE api_tokens (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
    hash        TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
  );
  CREATE TABLE host_status (
    host        TEXT PRIMARY KEY,
    status      TEXT NOT NULL,
    reported_at TEXT NOT NULL
  );
  `,
  // 2: app secrets, sealed by the controller; a deleted secret keeps its row so versions are never reused.
  `
  CREATE TABLE secrets (
    name        TEXT PRIMARY KEY,
    version     INTEGER NOT NULL,
    key_id      TEXT,
    sealed      TEXT,
    updated_at  TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    deleted_at  TEXT
  );
  `,
  // 3: traffic through the edge proxies, per app, site and hour.
  `
  CREATE TABLE traffic (
    app       TEXT NOT NULL,
    site      TEXT NOT NULL,
    hour      TEXT NOT NULL,
    requests  INTEGER NOT NULL,
    errors    INTEGER NOT NULL,
    PRIMARY KEY (app, site, hour)
  );
  CREATE INDEX traffic_hour ON traffic (hour);
  `,
  // 4: events (check state changes, sites lost and back, probers gone silent).
  `
  CREATE TABLE events (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    at       TEXT NOT NULL,
    kind     TEXT NOT NULL,
    subject  TEXT NOT NULL,
    state    TEXT NOT NULL,
    message  TEXT NOT NULL,
    data     TEXT
  );
  CREATE INDEX events_at ON events (at);
  CREATE INDEX events_subject ON events (subject, id);
  `,
  // 5: alerting: silences, alert group states, and the notification outbox.
  `
  CREATE TABLE silences (
    id          TEXT PRIMARY KEY,
    matchers    TEXT NOT NULL,
    starts_at   TEXT NOT NULL,
    ends_at     TEXT NOT NULL,
    comment     TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    reminded    INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE alert_groups (
    key    TEXT PRIMARY KEY,
    state  TEXT NOT NULL
  );
  CREATE TABLE notifications (
    id               TEXT PRIMARY KEY,
    receiver         TEXT NOT NULL,
    group_key        TEXT NOT NULL,
    kind             TEXT NOT NULL,
    severity         TEXT NOT NULL,
    title            TEXT NOT NULL,
    body             TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    status           TEXT NOT NULL,
    attempts         INTEGER NOT NULL,
    next_attempt_at  TEXT NOT NULL,
    last_error       TEXT,
    sent_at          TEXT
  );
  CREATE INDEX notifications_due ON notifications (status, next_attempt_at);
  CREATE INDEX notifications_created ON notifications (created_at);
  `,
  // 6: the traffic history in three resolutions (the hourly table of migration 3 stays as it
  // is) and the proxies' connection peaks.
  `
  CREATE TABLE traffic_minute (
    app       TEXT NOT NULL,
    site      TEXT NOT NULL,
    minute    TEXT NOT NULL,
    requests  INTEGER NOT NULL,
    errors    INTEGER NOT NULL,
    PRIMARY KEY (app, site, minute)
  );
  CREATE INDEX traffic_minute_at ON traffic_minute (minute);
  CREATE TABLE traffic_day (
    app       TEXT NOT NULL,
    site      TEXT NOT NULL,
    day       TEXT NOT NULL,
    requests  INTEGER NOT NULL,
    errors    INTEGER NOT NULL,
    PRIMARY KEY (app, site, day)
  );
  CREATE INDEX traffic_day_at ON traffic_day (day);
  CREATE TABLE connection_peaks (
    resolution  TEXT NOT NULL,
    site        TEXT NOT NULL,
    proxy       TEXT NOT NULL,
    at          TEXT NOT NULL,
    peak        INTEGER NOT NULL,
    PRIMARY KEY (resolution, site, proxy, at)
  );
  CREATE INDEX connection_peaks_at ON connection_peaks (resolution, at);
  `,
  // 7: uptime per app and day, from the check states.
  `
  CREATE TABLE uptime (
    app              TEXT NOT NULL,
    customer         TEXT NOT NULL,
    day              TEXT NOT NULL,
    up_seconds       REAL NOT NULL,
    down_seconds     REAL NOT NULL,
    unknown_seconds  REAL NOT NULL,
    PRIMARY KEY (app, day)
  );
  CREATE INDEX uptime_day ON uptime (day);
  `,
  // 8: restart generations of units the controller had restarted (remediation): part of the
  // unit's desired state, so they must survive a controller restart.
  `
  CREATE TABLE unit_restarts (
    unit        TEXT PRIMARY KEY,
    generation  INTEGER NOT NULL,
    last_at     TEXT NOT NULL
  );
  `,
  // 9: backup runs as agents report them (a batch sent twice is stored once: host, app and
  // start time are unique).
  `
  CREATE TABLE backup_runs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    host         TEXT NOT NULL,
    app          TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    finished_at  TEXT NOT NULL,
    ok           INTEGER NOT NULL,
    run          TEXT NOT NULL,
    UNIQUE (host, app, started_at)
  );
  CREATE INDEX backup_runs_app ON backup_runs (app, id);
  `,
  // 10: backup tasks: asked for by people (run now, restore) or started by an agent's schedule
  // (drills, checks); the task itself as JSON, the columns to find it.
  `
  CREATE TABLE backup_tasks (
    id          TEXT PRIMARY KEY,
    app         TEXT NOT NULL,
    host        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    state       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    task        TEXT NOT NULL
  );
  CREATE INDEX backup_tasks_open ON backup_tasks (host, state);
  CREATE INDEX backup_tasks_app ON backup_tasks (app, kind, created_at);
  `,
  // 11: staged rollouts (the rollout as JSON, the columns to find it) and the hosts held at
  // an earlier revision while a rollout has not reached them or sent them back.
  `
  CREATE TABLE rollouts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    revision    INTEGER NOT NULL,
    site        TEXT NOT NULL,
    state       TEXT NOT NULL,
    data        TEXT NOT NULL,
    updated_at  TEXT NOT NULL
  );
  CREATE TABLE host_holds (
    host      TEXT PRIMARY KEY,
    revision  INTEGER NOT NULL,
    since     TEXT NOT NULL
  );
  `,
  // 12: each revision's IPAM allocation record, so addresses stay where they are from one
  // revision to the next (as ipam.lock keeps them for a fleet in git).
  `
  ALTER TABLE revisions ADD COLUMN allocations TEXT;
  `,
  // 13: moves between sites (the record as JSON, the columns to find it; the customer's consent
  // link as a hash) and everything that happened to each, for the record.
  `
  CREATE TABLE site_migrations (
    id          TEXT PRIMARY KEY,
    app         TEXT NOT NULL,
    customer    TEXT NOT NULL,
    state       TEXT NOT NULL,
    token_hash  TEXT UNIQUE,
    data        TEXT NOT NULL,
    created_at  TEXT NOT NULL
  );
  CREATE INDEX site_migrations_state ON site_migrations (state, app);
  CREATE TABLE site_migration_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    migration  TEXT NOT NULL,
    at         TEXT NOT NULL,
    kind       TEXT NOT NULL,
    detail     TEXT NOT NULL
  );
  CREATE INDEX site_migration_events_migration ON site_migration_events (migration, id);
  `,
  // 14: tokens scoped to one customer, tokens that expire (a user's login session), and users
  // with a password hash (scrypt) who log in for such a token.
  `
  ALTER TABLE api_tokens ADD COLUMN customer TEXT;
  ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
  CREATE TABLE users (
    name          TEXT PRIMARY KEY,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
    customer      TEXT,
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
  );
  `,
  // 15: the files of compose project directories shipped with revisions, by sha256 (base64).
  `
  CREATE TABLE blobs (
    digest      TEXT PRIMARY KEY,
    content     TEXT NOT NULL,
    created_at  TEXT NOT NULL
  );
  `,
  // 16: the writer of each standby app whose writer changed (failover, switchover): its term only goes up.
  `
  CREATE TABLE standby_roles (
    app         TEXT PRIMARY KEY,
    term        INTEGER NOT NULL,
    data        TEXT NOT NULL,
    updated_at  TEXT NOT NULL
  );
  `,
  // 17: the audit history (who did what when; never a secret value), and the credentials a re-join replaced (their agents are told).
  `
  CREATE TABLE audit (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    customer  TEXT,
    detail    TEXT
  );
  CREATE INDEX audit_at ON audit (at);
  CREATE TABLE replaced_credentials (
    hash         TEXT PRIMARY KEY,
    host         TEXT NOT NULL,
    replaced_at  TEXT NOT NULL
  );
  `,
];
