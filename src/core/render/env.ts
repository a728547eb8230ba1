/**
 * Environment of a unit: literal values go into the desired state as they are; values marked
 * `{secret: NAME}` become references (env name → secret name). Secret values never enter the
 * desired state, the store's revisions or a diff: the controller resolves them only for the
 * agent of the host that runs the unit. The unit's hash covers each referenced secret's
 * version, so rotating a secret restarts exactly the units that use it, without the hash
 * revealing anything about the value.
 */
import type { App, Fleet } from '../fleet/model.js';
import { contentHash } from '../util/canonical.js';

export type EnvSpec = NonNullable<App['env']>;

export interface SplitEnv {
  plain: Record<string, string>;
  /** Env name → secret name. */
  secrets: Record<string, string>;
}

/** Merges env maps (later ones win, a literal replacing a secret and vice versa) and splits them. */
export function splitEnv(...envs: (EnvSpec | undefined)[]): SplitEnv {
  const out: SplitEnv = { plain: {}, secrets: {} };
  for (const env of envs) {
    for (const [name, value] of Object.entries(env ?? {})) {
      if (typeof value === 'string') {
        out.plain[name] = value;
        delete out.secrets[name];
      } else {
        out.secrets[name] = value.secret;
        delete out.plain[name];
      }
    }
  }
  return out;
}

export interface SecretUse {
  app: string;
  /** Where the reference is, e.g. `apps[3].env.DB_PASSWORD`. */
  path: string;
  env: string;
  secret: string;
}

/** Every place the fleet references a secret, in fleet order. */
export function secretUses(fleet: Pick<Fleet, 'apps'> & Partial<Pick<Fleet, 'alerting'>>): SecretUse[] {
  const out: SecretUse[] = [];
  // Alerting receivers: an SMTP password, a webhook URL that holds a token.
  fleet.alerting?.receivers.forEach((r, i) => {
    const url = r.webhook?.url;
    if (url !== undefined && typeof url !== 'string') out.push({ app: `alerting receiver ${r.id}`, path: `alerting.receivers[${i}].webhook.url`, env: 'url', secret: url.secret });
    const password = r.email?.smtp.password;
    if (password) out.push({ app: `alerting receiver ${r.id}`, path: `alerting.receivers[${i}].email.smtp.password`, env: 'password', secret: password.secret });
  });
  fleet.apps.forEach((app, i) => {
    const places: [string, EnvSpec | undefined][] = [
      [`apps[${i}].env`, app.env],
      [`apps[${i}].workload.process.env`, app.workload.process?.env],
    ];
    for (const [where, env] of places) {
      for (const [name, value] of Object.entries(env ?? {})) {
        if (typeof value !== 'string') out.push({ app: app.id, path: `${where}.${name}`, env: name, secret: value.secret });
      }
    }
    const pg = app.workload.postgres;
    if (pg) out.push({ app: app.id, path: `apps[${i}].workload.postgres.password`, env: 'password', secret: pg.password.secret });
  });
  return out;
}

/**
 * The hash of a unit that uses secrets, given each secret's version: a different version, a
 * different hash. Units without secrets keep their hash.
 */
export function hashWithSecrets(hash: string, secretEnv: Record<string, string> | undefined, versions: ReadonlyMap<string, number>): string {
  if (!secretEnv || Object.keys(secretEnv).length === 0) return hash;
  const used = Object.fromEntries(Object.entries(secretEnv).map(([env, name]) => [env, `${name}@${versions.get(name) ?? 0}`]));
  return contentHash({ hash, secrets: used });
}
