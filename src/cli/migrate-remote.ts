/**
 * Moves through the controller: `hafen migrate propose` (plans on what the controller runs and
 * asks each customer), `hafen migrate status [ID]`, `hafen migrate consent ID DECISION --by NAME`
 * (an answer given by phone or mail), `hafen migrate cancel|pause|resume|abort ID`;
 * `status ID --follow` prints a running move's steps as they happen.
 */
import { InvalidArgumentError, type Command } from 'commander';
import type { Decision, MoveEvent, MoveRecord } from '../client/client.js';
import { formatBytes } from '../core/fleet/units.js';
import { fmtDuration } from '../core/move/estimate.js';
import { strategyLabel } from '../core/move/moves.js';
import { HafenError } from '../lib/errors.js';
import { EXIT, json, parseFormat, type CliIo, type OutputFormat } from './io.js';
import { parseDays, parseShare, parseStart } from './migrate-options.js';
import { remoteClient, remoteOptions, type RemoteOptions } from './remote.js';

const DECISIONS: readonly Decision[] = ['accept', 'decline', 'another-window'];
const parseDecision = (v: string): Decision => {
  if (!(DECISIONS as readonly string[]).includes(v)) throw new InvalidArgumentError(`the decision must be accept, decline or another-window, not "${v}"`);
  return v as Decision;
};

const utc = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;


/** How far a running cutover is: copies, bytes, what is left of the pre-copy, the downtime so far. */
function progress(r: MoveRecord, now: Date): string {
  const run = r.run!;
  const m = r.move;
  const copies = run.copies ?? [];
  const bytes = copies.reduce((n, c) => n + c.bytes, 0);
  const parts = copies.length ? [`${copies.length} cop${copies.length === 1 ? 'y' : 'ies'}, ${formatBytes(bytes)} of ${formatBytes(m.bytes)} moved`] : [];
  if (run.phase === 'copying' && m.estimate) {
    const left = m.estimate.preCopySeconds - (now.getTime() - Date.parse(run.startedAt)) / 1000;
    parts.push(left > 0 ? `pre-copy ~${fmtDuration(left)} left` : 'pre-copy taking longer than estimated');
  }
  if (run.downtimeSeconds !== undefined) parts.push(`down ${run.downtimeSeconds} s (estimated ${m.downtimeSeconds} s)`);
  else if (run.stoppedAt) parts.push(`down for ${fmtDuration((now.getTime() - Date.parse(run.stoppedAt)) / 1000)} so far (estimated ${fmtDuration(m.downtimeSeconds)})`);
  return parts.length ? `; ${parts.join('; ')}` : '';
}

function line(r: MoveRecord): string {
  const m = r.move;
  const what = strategyLabel(m, fmtDuration);
  if (r.run && r.state === 'running') {
    const detail = `${r.run.phase === 'shifting' ? ` (step ${r.run.step + 1})` : ''}${m.strategy === 'cutover' ? progress(r, new Date()) : ''}${r.run.paused ? ', PAUSED' : ''}${r.run.reason ? ` (${r.run.reason})` : ''}`;
    return `${r.id}  ${m.app} (${m.customer})  ${m.from} → ${m.to}  ${what}  running: ${r.run.phase}${detail} since ${utc(r.run.phaseSince)} UTC`;
  }
  const consent = r.state === 'proposed' ? `proposed, answer due ${utc(r.consent.answerBy)} UTC${r.consent.reminders.length ? ` (${r.consent.reminders.length} reminder${r.consent.reminders.length === 1 ? '' : 's'})` : ''}` : r.consent.answer ? `${r.state} (${r.consent.answer.by}, ${r.consent.answer.via})` : r.state;
  const down = r.state === 'done' && r.run?.downtimeSeconds !== undefined ? `; was down ${r.run.downtimeSeconds} s` : '';
  return `${r.id}  ${m.app} (${m.customer})  ${m.from} → ${m.to}  ${what}  ${utc(m.start)}–${m.end.slice(11, 16)} UTC  ${consent}${down}`;
}

const FINAL = new Set(['done', 'rolled-back', 'declined', 'another-window', 'expired', 'cancelled']);

function eventsText(r: MoveRecord, events: readonly MoveEvent[]): string {
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
      .option('--start <time>', 'plan from this time (ISO 8601; default now); a move that needs an answer switches 3 h after the proposal at the earliest', parseStart)
      .option('--days <n>', 'days ahead to plan into', parseDays, 28)
      .option('--format <format>', 'output format: text or json', parseFormat, 'text' as OutputFormat),
  ).action(async (apps: string[], opts: RemoteOptions & { to: string; from?: string; share?: number; start?: Date; days: number; format: OutputFormat }) => {
    const client = remoteClient(opts);
    const res = await client.proposeMoves({ to: opts.to, ...(apps.length ? { apps } : {}), ...(opts.share !== undefined ? { share: opts.share } : {}), ...(opts.from ? { from: opts.from } : {}), ...(opts.start ? { start: opts.start.toISOString() } : {}), days: opts.days });
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
      .option('--follow', 'with an ID: print each step as it happens (copies, bytes, downtime) until the move is done or rolled back; exit 1 when it rolls back')
      .option('--format <format>', 'output format: text or json', parseFormat, 'text' as OutputFormat),
  ).action(async (id: string | undefined, opts: RemoteOptions & { open?: boolean; follow?: boolean; format: OutputFormat }) => {
    const client = remoteClient(opts);
    if (id && opts.follow) {
      // Every new event as it is recorded (JSON: one object per line), then the move as it ended.
      let shown = 0;
      let away: number | undefined;
      for (;;) {
        let one: Awaited<ReturnType<typeof client.move>>;
        try {
          one = await client.move(id);
          away = undefined;
        } catch (err) {
          // A controller restarting is waited for (a minute); the move runs on without this command.
          if (!(err instanceof HafenError && err.code === 'HAFEN_CLIENT_UNREACHABLE') || (away !== undefined && Date.now() - away > 60_000)) throw err;
          if (away === undefined) io.stderr(`${err.message}; trying again for a minute\n`);
          away ??= Date.now();
          await new Promise((res) => setTimeout(res, 2000));
          continue;
        }
        for (const e of one.events.slice(shown)) io.stdout(opts.format === 'json' ? `${JSON.stringify(e)}\n` : `${e.at}  ${e.kind.padEnd(9)}  ${e.detail}\n`);
        shown = one.events.length;
        if (FINAL.has(one.migration.state)) {
          if (opts.format !== 'json') io.stdout(`${line(one.migration)}\n`);
          return setExit(one.migration.state === 'done' ? EXIT.ok : EXIT.invalid);
        }
        await new Promise((res) => setTimeout(res, 2000));
      }
    }
    if (id) {
      const one = await client.move(id);
      io.stdout(opts.format === 'json' ? json(one) : eventsText(one.migration, one.events));
      return setExit(EXIT.ok);
    }
    const { migrations } = await client.moves({ ...(opts.open ? { open: true } : {}) });
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
    const res = await remoteClient(opts).answerMove(id, { decision, by: opts.by, ...(opts.note ? { note: opts.note } : {}) });
    io.stdout(opts.format === 'json' ? json(res) : `${line(res.migration)}\n`);
    setExit(EXIT.ok);
  });

  // What an operator does to one move: each prints the move as it is afterwards.
  for (const [action, text] of [
    ['cancel', 'Cancel a move that is not running; its customer is told.'],
    ['pause', 'Hold a running move where it is: its replicas and weights stay until resumed.'],
    ['resume', 'Carry on with a paused move (the step it was at starts its time afresh).'],
    ['abort', 'Stop a running move: a live move sends traffic back to the source (which never stopped) and drops the target; a cutover starts the source again on its own data (writes the target took after the switch stay behind) and drops the target.'],
  ] as const) {
    remoteOptions(migrate.command(action).description(text).argument('<id>', 'the migration id (mig_…)').option('--format <format>', 'output format: text or json', parseFormat, 'text' as OutputFormat)).action(async (id: string, opts: RemoteOptions & { format: OutputFormat }) => {
      const client = remoteClient(opts);
      const res = action === 'cancel' ? await client.cancelMove(id) : await client.controlMove(id, action);
      io.stdout(opts.format === 'json' ? json(res) : `${line(res.migration)}\n`);
      setExit(EXIT.ok);
    });
  }
}
