/**
 * Moves through the controller: `hafen migrate propose` (plans on what the controller runs and
 * asks each customer), `hafen migrate status [ID]`, `hafen migrate consent ID DECISION --by NAME`
 * (an answer given by phone or mail), `hafen migrate cancel ID`.
 */
import { InvalidArgumentError, type Command } from 'commander';
import type { Decision, MigrationEvent, MigrationRecord } from '../client/client.js';
import { fmtDuration } from '../core/migration/estimate.js';
import { EXIT, json, parseFormat, type CliIo, type OutputFormat } from './io.js';
import { parseDays, parseShare, parseStart } from './migrate-options.js';
import { remoteClient, remoteOptions, type RemoteOptions } from './remote.js';

const DECISIONS: readonly Decision[] = ['accept', 'decline', 'another-window'];
const parseDecision = (v: string): Decision => {
  if (!(DECISIONS as readonly string[]).includes(v)) throw new InvalidArgumentError(`the decision must be accept, decline or another-window, not "${v}"`);
  return v as Decision;
};

const utc = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;

function line(r: MigrationRecord): string {
  const m = r.move;
  const what = m.strategy === 'live' ? 'live, no downtime' : `cutover ~${fmtDuration(m.downtimeSeconds)} down`;
  if (r.run && r.state === 'running') return `${r.id}  ${m.app} (${m.customer})  ${m.from} → ${m.to}  ${what}  running: ${r.run.phase}${r.run.phase === 'shifting' ? ` (step ${r.run.step + 1})` : ''}${r.run.paused ? ', PAUSED' : ''}${r.run.reason ? ` (${r.run.reason})` : ''} since ${utc(r.run.phaseSince)} UTC`;
  const consent = r.state === 'proposed' ? `proposed, answer due ${utc(r.consent.answerBy)} UTC${r.consent.reminders.length ? ` (${r.consent.reminders.length} reminder${r.consent.reminders.length === 1 ? '' : 's'})` : ''}` : r.consent.answer ? `${r.state} (${r.consent.answer.by}, ${r.consent.answer.via})` : r.state;
  const note = r.state === 'accepted' && m.strategy === 'cutover' ? '; hafen does not run cutovers yet: do it by hand, then cancel this' : '';
  return `${r.id}  ${m.app} (${m.customer})  ${m.from} → ${m.to}  ${what}  ${utc(m.start)}–${m.end.slice(11, 16)} UTC  ${consent}${note}`;
}

function eventsText(r: MigrationRecord, events: readonly MigrationEvent[]): string {
  return [line(r), ...events.map((e) => `  ${e.at}  ${e.kind.padEnd(9)}  ${e.detail}`)].join('\n') + '\n';
}

export function registerMigrateRemote(migrate: Command, io: CliIo, setExit: (code: number) => void): void {
  remoteOptions(
    migrate
      .command('propose')
      .description("Plan moves on what the controller runs and propose each to its customer (e-mail or webhook per policies.migrations.notify); a live move of a customer who chose liveMoves: announce is announced instead. Nothing runs without the customer's consent.")
      .argument('[apps...]', 'apps to move (or --share)')
      .requiredOption('--to <site>', 'the site the apps move to')
      .option('--from <site>', 'the site they leave (needed for an app running at several other sites)')
      .option('--share <percent>', 'move this share of the customers instead of naming apps', parseShare)
      .option('--start <time>', 'plan from this time (ISO 8601; default now)', parseStart)
      .option('--days <n>', 'days ahead to plan into', parseDays, 28)
      .option('--format <format>', 'output format: text or json', parseFormat, 'text' as OutputFormat),
  ).action(async (apps: string[], opts: RemoteOptions & { to: string; from?: string; share?: number; start?: Date; days: number; format: OutputFormat }) => {
    const client = remoteClient(opts);
    const res = await client.proposeMigrations({ to: opts.to, ...(apps.length ? { apps } : {}), ...(opts.share !== undefined ? { share: opts.share } : {}), ...(opts.from ? { from: opts.from } : {}), ...(opts.start ? { start: opts.start.toISOString() } : {}), days: opts.days });
    const failed = res.problems.length + res.plan.unscheduled.length;
    if (opts.format === 'json') io.stdout(json(res));
    else {
      const asked = res.migrations.filter((m) => m.state === 'proposed').length;
      const lines = [`proposed ${res.migrations.length} move${res.migrations.length === 1 ? '' : 's'} on revision ${res.revision}: ${asked} wait for the customer's answer, ${res.migrations.length - asked} announced`];
      lines.push(...res.migrations.map((m) => `  ${line(m)}`));
      if (failed) lines.push('not planned:', ...res.problems.map((p) => `  ${p.app}: ${p.message}`), ...res.plan.unscheduled.map((u) => `  ${u.move.app} (${u.move.from} → ${u.move.to}): ${u.reason}`));
      for (const w of res.warnings) lines.push(`warning: ${w}`);
      io.stdout(`${lines.join('\n')}\n`);
    }
    setExit(failed ? EXIT.invalid : EXIT.ok);
  });

  remoteOptions(
    migrate
      .command('status')
      .description('Moves and their consent, newest first; with an ID, one move and everything that happened to it.')
      .argument('[id]', 'a migration id (mig_…)')
      .option('--open', 'only moves proposed or accepted')
      .option('--format <format>', 'output format: text or json', parseFormat, 'text' as OutputFormat),
  ).action(async (id: string | undefined, opts: RemoteOptions & { open?: boolean; format: OutputFormat }) => {
    const client = remoteClient(opts);
    if (id) {
      const one = await client.migration(id);
      io.stdout(opts.format === 'json' ? json(one) : eventsText(one.migration, one.events));
      return setExit(EXIT.ok);
    }
    const { migrations } = await client.migrations({ ...(opts.open ? { open: true } : {}) });
    io.stdout(opts.format === 'json' ? json({ migrations }) : migrations.length ? `${migrations.map(line).join('\n')}\n` : `no ${opts.open ? 'open ' : ''}migrations\n`);
    setExit(EXIT.ok);
  });

  remoteOptions(
    migrate
      .command('consent')
      .description("Record a customer's answer given by phone or mail: accept, decline or another-window (the customer's own link records it likewise).")
      .argument('<id>', 'the migration id (mig_…)')
      .argument('<decision>', 'accept, decline or another-window', parseDecision)
      .requiredOption('--by <name>', 'who at the customer answered')
      .option('--note <text>', 'what was said')
      .option('--format <format>', 'output format: text or json', parseFormat, 'text' as OutputFormat),
  ).action(async (id: string, decision: Decision, opts: RemoteOptions & { by: string; note?: string; format: OutputFormat }) => {
    const res = await remoteClient(opts).answerMigration(id, { decision, by: opts.by, ...(opts.note ? { note: opts.note } : {}) });
    io.stdout(opts.format === 'json' ? json(res) : `${line(res.migration)}\n`);
    setExit(EXIT.ok);
  });

  // What an operator does to one move: each prints the move as it is afterwards.
  for (const [action, text] of [
    ['cancel', 'Cancel a move that is not running; its customer is told.'],
    ['pause', 'Hold a running move where it is: its replicas and weights stay until resumed.'],
    ['resume', 'Carry on with a paused move (the step it was at starts its time afresh).'],
    ['abort', 'Stop a running move: traffic goes back to the source (which never stopped), the target drains and goes.'],
  ] as const) {
    remoteOptions(migrate.command(action).description(text).argument('<id>', 'the migration id (mig_…)').option('--format <format>', 'output format: text or json', parseFormat, 'text' as OutputFormat)).action(async (id: string, opts: RemoteOptions & { format: OutputFormat }) => {
      const client = remoteClient(opts);
      const res = action === 'cancel' ? await client.cancelMigration(id) : await client.controlMigration(id, action);
      io.stdout(opts.format === 'json' ? json(res) : `${line(res.migration)}\n`);
      setExit(EXIT.ok);
    });
  }
}
