/**
 * The catalogue of hafen's error codes: every code an error may carry, with the HTTP status
 * the controller answers it with, whether retrying can help (the default; a throw site may say
 * otherwise where the same code covers both, e.g. a webhook answering 503 or 400), and what it
 * means. `HafenError` takes only codes from here (the compiler checks each throw site); the
 * controller maps errors to HTTP from here alone; docs/errors.md is generated from it
 * (`npm run docs`). Codes of errors raised outside the controller (CLI, agent, proxy) carry 500:
 * the status they would have if one ever reached the API — except the proxies' answers to
 * visitors (HAFEN_PROXY_BAD_REQUEST … NO_REPLICA), which carry the status the proxy answers with.
 */

export interface ErrorSpec {
  /** The HTTP status the controller answers with. */
  status: number;
  /** Whether trying again (unchanged) can succeed. */
  retryable: boolean;
  /** One line: what happened, for the reference. */
  meaning: string;
}

const spec = (status: number, retryable: boolean, meaning: string): ErrorSpec => ({ status, retryable, meaning });

export const ERROR_CODES = {
  // The API and its callers.
  HAFEN_API_BAD_REQUEST: spec(400, false, 'The request is malformed: a body, parameter or query value the API does not accept.'),
  HAFEN_API_NOT_FOUND: spec(404, false, 'No API route answers this method and path.'),
  HAFEN_INTERNAL: spec(500, true, 'A bug in the controller; the controller log has the details.'),
  HAFEN_AUTH_MISSING: spec(401, false, 'The request carries no API token or session.'),
  HAFEN_AUTH_INVALID: spec(401, false, 'The token, session or name and password are not valid.'),
  HAFEN_AUTH_EXPIRED: spec(401, false, 'The login session has ended; log in again.'),
  HAFEN_AUTH_REPLACED: spec(401, false, "A host credential a later join of the same host replaced: this agent no longer speaks for the host (it stops following the controller)."),
  HAFEN_AUTH_FORBIDDEN: spec(403, false, 'The token or user may not do this (its role or customer scope).'),
  HAFEN_AUTH_THROTTLED: spec(429, true, 'Too many failed logins from this address or for this user name; wait and try again.'),
  HAFEN_NOT_JOINED: spec(500, false, 'An agent, prober or proxy has no host credential yet: start it once with a join token.'),

  // The client (CLI, agents, proxies talking to the controller).
  HAFEN_CLIENT_UNREACHABLE: spec(500, true, 'No controller answered: refused, timed out or unreachable.'),
  HAFEN_CLIENT_BAD_RESPONSE: spec(500, false, 'The controller answered with something that is not hafen\'s JSON.'),

  // The controller process and its leadership.
  HAFEN_CONTROLLER_LISTEN: spec(500, false, 'The controller cannot listen on its address (in use, or not this machine\'s).'),
  HAFEN_PLAIN_HTTP_REFUSED: spec(500, false, 'Plain HTTP to or from another machine: a controller off loopback is served and reached over https unless --allow-plain-http (or HAFEN_ALLOW_PLAIN_HTTP=1) says the network is trusted.'),
  HAFEN_CONTROLLER_NO_LEADER: spec(503, true, 'No controller leads right now; the request went nowhere.'),
  HAFEN_CONTROLLER_LEADER_LOST: spec(502, true, 'The leader went away while a follower passed the request on; it may or may not have been carried out.'),

  // The store.
  HAFEN_STORE_OPEN: spec(500, false, 'The store (SQLite file or PostgreSQL database) cannot be opened.'),
  HAFEN_STORE_MISSING: spec(500, false, 'There is no store at the path given.'),
  HAFEN_STORE_TOO_NEW: spec(500, false, 'The store\'s schema is newer than this hafen: upgrade hafen.'),
  HAFEN_STORE_MIGRATION: spec(500, false, 'A schema migration of the store failed; nothing of it stayed.'),
  HAFEN_STORE_CORRUPT: spec(500, false, 'A stored revision no longer validates, or the content of a file it ships is missing from the store.'),
  HAFEN_STORE_REVISION_CONFLICT: spec(409, false, 'The fleet changed since the plan was made: plan again.'),
  HAFEN_STORE_NOT_LEADER: spec(503, true, 'This controller no longer leads: its write was refused (fenced by term).'),
  HAFEN_STORE_LOCK_LOST: spec(500, false, 'The controller lost the lead and stops, so that no two controllers act at once.'),
  HAFEN_STORE_UNREACHABLE: spec(500, true, 'PostgreSQL could not be reached for too long; the controller stops (a restart looks for the primary).'),
  HAFEN_STORE_UNAVAILABLE: spec(503, true, 'The store cannot be read right now.'),
  HAFEN_STORE_NO_PRIMARY: spec(500, true, 'None of the PostgreSQL hosts given answers as a primary.'),
  HAFEN_STORE_IN_USE: spec(500, false, 'A controller runs on this store: stop it before importing.'),
  HAFEN_STORE_NOT_EMPTY: spec(500, false, 'An import goes only into an empty store; nothing is merged.'),
  HAFEN_STORE_IMPORT: spec(500, false, 'The export to import cannot be read or is not a hafen export.'),
  HAFEN_STORE_TABLE: spec(500, false, 'An export names a table that no hafen store has.'),

  // Fleets, plans and revisions.
  HAFEN_FLEET_INVALID: spec(422, false, 'The fleet has problems (listed in details, each with its own code); nothing was changed.'),
  HAFEN_PLAN_UNPLACED: spec(422, false, 'Some replicas cannot be placed; nothing was changed.'),
  HAFEN_PLAN_TOO_LARGE: spec(413, false, 'The fleet is larger than the controller plans (its files together, or the memory planning it needs); nothing was changed.'),
  HAFEN_PLAN_TIMEOUT: spec(503, false, 'Planning the fleet took longer than the controller allows and was stopped; nothing was changed.'),
  HAFEN_PLAN_BUSY: spec(503, true, 'Too many plans and applies wait already; try again shortly.'),
  HAFEN_CONTROLLER_STOPPING: spec(503, true, 'The controller stopped while the request waited; nothing was changed.'),
  HAFEN_PLAN_INVALID: spec(500, false, 'A saved plan file is not a plan (not JSON, or not its shape).'),
  HAFEN_PLAN_STALE: spec(500, false, 'A saved plan names hosts or apps the fleet no longer has.'),
  HAFEN_REVISION_NOT_FOUND: spec(404, false, 'There is no revision with this number.'),
  HAFEN_RISK_UNKNOWN_GROUP: spec(500, false, 'hafen risk --fail names no failure group of the fleet.'),
  HAFEN_IPAM_RECORD_INVALID: spec(500, false, 'The IPAM allocation record (ipam.lock) is not valid.'),
  HAFEN_IPAM_RECORD_OUTDATED: spec(500, false, 'The IPAM allocation record is out of date (hafen ipam --frozen).'),

  // Rollouts, firewalls, hosts and the fleet's parts.
  HAFEN_ROLLOUT_INVALID: spec(422, false, 'A staged rollout cannot be made as asked (batch, gate or site).'),
  HAFEN_ROLLOUT_RUNNING: spec(409, true, 'A staged rollout is still running: wait for it, or abort it.'),
  HAFEN_ROLLOUT_FINISHED: spec(409, false, 'The rollout has ended already; there is nothing to abort.'),
  HAFEN_ROLLOUT_NOT_FOUND: spec(404, false, 'There is no rollout with this id.'),
  HAFEN_FIREWALL_NONE: spec(409, false, 'The host has no firewall to apply (no address from IPAM).'),
  HAFEN_HOST_NOT_FOUND: spec(404, false, 'The host is not in the newest revision.'),
  HAFEN_APPLY_DESTROYS: spec(409, false, 'The apply would remove every host, or stop more than a quarter of the running replicas; nothing was changed (--allow-destroy when meant).'),
  HAFEN_AGENT_BLOB_NOT_FOUND: spec(404, false, 'An agent asked for a file that no compose project of its units holds (or the store lost it).'),
  HAFEN_SITE_NOT_FOUND: spec(404, false, 'The site is not in the newest revision.'),
  HAFEN_APP_NOT_FOUND: spec(404, false, 'The app is not in the newest revision (or not this customer\'s).'),
  HAFEN_CUSTOMER_NOT_FOUND: spec(404, false, 'The customer is not in the newest revision.'),
  HAFEN_SILENCE_NOT_FOUND: spec(404, false, 'There is no active silence with this id.'),
  HAFEN_DASHBOARD_NOT_FOUND: spec(404, false, 'The dashboard is not built (npm run build writes dist/web).'),

  // Tokens, users and secrets.
  HAFEN_TOKEN_NOT_FOUND: spec(404, false, 'There is no active API token with this id.'),
  HAFEN_USER_NOT_FOUND: spec(404, false, 'There is no user with this name.'),
  HAFEN_SECRET_NOT_FOUND: spec(404, false, 'There is no secret with this name.'),
  HAFEN_SECRET_MISSING: spec(422, false, 'The fleet uses secrets that are not set; nothing was changed.'),
  HAFEN_SECRET_IN_USE: spec(409, false, 'The secret is used by apps of the newest revision and cannot be removed.'),
  HAFEN_SECRET_EMPTY: spec(400, false, 'A secret\'s value is empty; nothing was stored.'),
  HAFEN_SECRET_TOO_LARGE: spec(400, false, 'A secret\'s value is too large; nothing was stored.'),
  HAFEN_SECRET_INVALID: spec(400, false, 'A secret\'s value cannot be an environment variable (a NUL byte); nothing was stored.'),
  HAFEN_SECRET_KEY_INVALID: spec(500, false, 'The controller\'s secret key is not 32 bytes of base64 or hex.'),
  HAFEN_SECRET_KEY_MISSING: spec(500, false, 'The controller\'s secret key file does not exist.'),
  HAFEN_SECRET_KEY_MISMATCH: spec(500, false, 'Stored secrets were sealed with another key than the controller has.'),
  HAFEN_SECRET_UNSEAL: spec(500, false, 'A sealed value cannot be decrypted: wrong key or damaged data.'),

  // Backups.
  HAFEN_BACKUP_APP_NOT_FOUND: spec(404, false, 'The app has no backup policy in the newest revision.'),
  HAFEN_BACKUP_TASK_NOT_FOUND: spec(404, false, 'There is no backup task with this id.'),
  HAFEN_BACKUP_NO_JOB: spec(409, false, 'The app has no backup job (no host runs it), so nothing can run the task.'),
  HAFEN_BACKUP_NO_KEY: spec(409, true, 'An agent has not reported its ssh key yet, so it cannot be let in to the backup host.'),

  // Moves between sites.
  HAFEN_MIGRATE_BAD_REQUEST: spec(500, false, 'hafen migrate was asked for something that does not go together.'),
  HAFEN_MIGRATE_NO_FLEET: spec(500, false, 'hafen migrate plan needs the fleet to plan on (--fleet).'),
  HAFEN_MIGRATE_UNKNOWN_SITE: spec(500, false, 'A site named for a move is not in the fleet.'),
  HAFEN_MIGRATE_INVALID: spec(422, false, 'The moves cannot be proposed as asked (an unknown site or app, a bad time).'),
  HAFEN_MIGRATE_NO_REVISION: spec(409, false, 'The controller runs no fleet yet: apply one first.'),
  HAFEN_MIGRATE_OPEN: spec(409, true, 'Moves are still open (proposed, accepted or running): one wave plan at a time.'),
  HAFEN_MIGRATE_CLOSED: spec(409, false, 'The move has ended or was answered already: there is nothing to do.'),
  HAFEN_MIGRATE_NOT_FOUND: spec(404, false, 'There is no move with this id.'),
  HAFEN_MIGRATE_LINK_NOT_FOUND: spec(404, false, 'The customer\'s consent link is not (or no longer) valid.'),
  HAFEN_MIGRATE_TARGET_GONE: spec(500, false, 'A move\'s target no longer fits in the newest fleet.'),

  // Standby apps: one writer, failover and switchover.
  HAFEN_STANDBY_UNKNOWN_APP: spec(404, false, 'No app of that name in the newest revision.'),
  HAFEN_STANDBY_NOT_STANDBY: spec(409, false, 'The app is not a standby app (redundancy.mode: standby): there is no writer to switch.'),
  HAFEN_STANDBY_BUSY: spec(409, true, 'The app is switching over already, or its writer changed meanwhile: wait and try again.'),
  HAFEN_STANDBY_ALREADY_THERE: spec(409, false, 'The replica at that site writes already.'),
  HAFEN_STANDBY_NO_REPLICA: spec(422, false, 'The app has no standby at that site.'),
  HAFEN_STANDBY_HOST_DOWN: spec(409, true, "The writer's or the standby's host does not report: a switchover needs both agents."),

  // Notifications.
  HAFEN_NOTIFY_EMAIL: spec(500, true, 'A mail could not be sent through the receiver\'s SMTP server.'),
  HAFEN_NOTIFY_WEBHOOK: spec(500, true, 'A webhook could not be reached, or answered with an error.'),

  // Agents and their drivers.
  HAFEN_DRIVER_NO_COMPOSE: spec(500, false, 'Neither "docker compose" nor "docker-compose" works on the host.'),
  HAFEN_DRIVER_COMPOSE_FAILED: spec(500, true, 'A compose command of a unit failed (its last lines say why).'),

  // The edge proxy.
  // What the built-in proxy answers a visitor when no replica's answer can be passed on (as JSON
  // in this shape, the code also in the x-hafen-error header); the HAProxy engine answers the same.
  HAFEN_PROXY_BAD_REQUEST: spec(400, false, 'The proxy got a request without a valid Host header, or whose target is not a path.'),
  HAFEN_PROXY_MISDIRECTED: spec(421, false, 'A request over TLS names another host than the connection was made for (its SNI): it goes on a connection of its own.'),
  HAFEN_PROXY_UNKNOWN_HOST: spec(404, false, 'No app of the fleet is served at this host name (and path) by this proxy.'),
  HAFEN_PROXY_BODY_TOO_LARGE: spec(413, false, 'The request body is larger than the proxy accepts.'),
  HAFEN_PROXY_NOT_RESENT: spec(502, false, 'A replica failed after the request was sent, and a request that is not idempotent is not sent twice.'),
  HAFEN_PROXY_BAD_GATEWAY: spec(502, true, 'No replica of the app answered: every one tried failed.'),
  HAFEN_PROXY_TIMEOUT: spec(504, true, 'The replica hung with the request (no answer, no sign of life for its try timeout) and it could not go to another one: it is not idempotent, or no other replica was left.'),
  HAFEN_PROXY_NO_REPLICA: spec(503, true, 'The app has no healthy replica at the moment (the answer carries Retry-After).'),
  HAFEN_PROXY_NO_ROUTES: spec(500, true, 'The proxy cannot reach the controller and has no cached route table yet.'),
  HAFEN_PROXY_ROUTES_INVALID: spec(500, false, 'A route table file is not valid (the problem names its path in the file).'),
  HAFEN_PROXY_ROUTES_UNREADABLE: spec(500, false, 'A route table file cannot be read.'),
  HAFEN_CLIENT_GONE: spec(500, false, 'Inside the proxy: the client closed its connection, so the request to the replica is given up.'),
  HAFEN_ABANDONED: spec(500, true, 'Inside the proxy: a request given up on a stalled replica, to be retried on another.'),
  HAFEN_TRY_TIMEOUT: spec(500, true, 'Inside the proxy: a try given up on a replica that showed no sign of life for its try timeout.'),
  HAFEN_HAPROXY_START: spec(500, false, 'HAProxy exited while starting.'),
  HAFEN_HAPROXY_CONFIG: spec(500, false, 'HAProxy refuses the rendered configuration; the previous one keeps serving.'),
  HAFEN_HAPROXY_RELOAD: spec(500, true, 'HAProxy did not come back after a reload; the old worker keeps serving.'),
  HAFEN_HAPROXY_TIMEOUT: spec(500, true, 'HAProxy\'s runtime API did not answer in time.'),
  HAFEN_HAPROXY_UNREACHABLE: spec(500, true, 'HAProxy\'s runtime socket cannot be reached.'),

  // DNS updates of customer domains (RFC 2136, signed with TSIG).
  HAFEN_DNS_UNREACHABLE: spec(503, true, 'The zone\'s DNS server cannot be reached or did not answer in time; the update is tried again.'),
  HAFEN_DNS_REFUSED: spec(502, false, 'The zone\'s DNS server refused the update: the zone, the TSIG key or the server\'s update ACL does not fit.'),
  HAFEN_DNS_UPDATE: spec(502, true, 'A DNS update failed for another reason (the message says which), or nsupdate is not installed.'),
  HAFEN_DNS_BAD_KEY: spec(500, false, 'A TSIG key is not usable: its name, algorithm or secret.'),

  // The command line.
  HAFEN_CLI_BAD_OPTION: spec(500, false, 'Options that do not go together, or a value the command cannot use.'),
  HAFEN_CLI_FLEET_UNREADABLE: spec(500, false, 'The fleet file or directory cannot be read (exit status 2).'),
  HAFEN_CLI_ALLOCATIONS_UNREADABLE: spec(500, false, 'The IPAM allocation record cannot be read (exit status 2).'),
  HAFEN_CLI_PLAN_UNREADABLE: spec(500, false, 'A saved plan cannot be read (exit status 2).'),
  HAFEN_CLI_TOKEN_UNREADABLE: spec(500, false, 'The --token-file cannot be read (exit status 2).'),
  HAFEN_CLI_SECRET_UNREADABLE: spec(500, false, 'The file a secret\'s value is read from cannot be read (exit status 2).'),
  HAFEN_CLI_DOCKER: spec(500, true, 'The Docker engine cannot be asked (hafen import): it is not running, or this user may not reach it.'),
  HAFEN_CLI_NO_TOKEN: spec(500, false, 'No API token: set HAFEN_TOKEN or pass --token-file.'),
  HAFEN_CLI_OUTPUT_EXISTS: spec(500, false, 'The output exists; --force replaces it.'),
  HAFEN_CLI_CANCELLED: spec(500, false, 'Cancelled at the prompt; nothing was stored.'),
  HAFEN_CLI_PASSWORD_EMPTY: spec(500, false, 'The password given is empty; nothing was stored.'),
} as const satisfies Record<string, ErrorSpec>;

/** A code from the catalogue. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Whether `code` is in the catalogue (codes that arrive over the wire are plain strings). */
export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CODES, code);
}

/** The body of an error answer, in hafen's one shape, with the catalogue's retryable. */
export function errorBody(code: ErrorCode, message: string): { error: { code: ErrorCode; message: string; retryable: boolean } } {
  return { error: { code, message, retryable: ERROR_CODES[code].retryable } };
}

/** The HTTP status of a code; one outside the catalogue (a bug) is a 500. */
export function httpStatusOf(code: string): number {
  return isErrorCode(code) ? ERROR_CODES[code].status : 500;
}
