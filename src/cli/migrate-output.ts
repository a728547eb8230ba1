/** The text of `hafen migrate plan`: waves as a calendar, each move in its customer's local time. */
import type { Fleet } from '../core/fleet/model.js';
import { formatBytes } from '../core/fleet/units.js';
import { fmtDuration } from '../core/move/estimate.js';
import { strategyLabel, type MoveProblem } from '../core/move/moves.js';
import type { ScheduledMove, WavePlan } from '../core/move/waves.js';
import { pct } from '../core/risk/scenarios.js';

/** "Tue 01 Dec 22:00" in a time zone. */
function local(iso: string, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', day: '2-digit', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(iso));
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('weekday')} ${get('day')} ${get('month')} ${get('hour')}:${get('minute')}`;
}

const hhmm = (iso: string, timeZone: string) => local(iso, timeZone).slice(-5);
const utc = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

function moveLine(m: ScheduledMove, fleet: Fleet): string {
  const tz = fleet.customers.find((c) => c.id === m.customer)?.timezone ?? 'UTC';
  const when = `${hhmm(m.start, 'UTC')}–${hhmm(m.end, 'UTC')} UTC (${local(m.start, tz)} ${tz})`;
  const what = strategyLabel(m, fmtDuration);
  const pre = m.preCopy ? `; ${formatBytes(m.bytes)} pre-copied from ${local(m.preCopy.start, 'UTC')} UTC (${fmtDuration((Date.parse(m.preCopy.end) - Date.parse(m.preCopy.start)) / 1000)})` : '';
  const hosts = m.targets.map((t) => `${t.from}→${t.to}`).join(', ');
  return `  ${when}  ${m.app} (${m.customer})  ${m.from} → ${m.to}  ${what}${pre}  [${hosts}]  ${m.consent === 'required' ? 'consent needed' : 'announce'}`;
}

export function planText(plan: WavePlan, problems: readonly MoveProblem[], fleet: Fleet): string {
  const lines: string[] = [];
  const total = plan.scheduled.length + plan.unscheduled.length;
  lines.push(`migration plan: ${plan.scheduled.length} of ${total} move${total === 1 ? '' : 's'} planned, ${utc(plan.from)} to ${utc(plan.until)}; at most ${plan.maxCustomersPerWave} customers with a cutover per wave`);
  const r = plan.risk;
  lines.push(`blast radius: worst single failure ${r.before.group} ${pct(r.before.share)} before, ${r.after.group} ${pct(r.after.share)} after (policy ${pct(r.limit)}); checked after every move`);
  for (const w of plan.waves) {
    const moves = plan.scheduled.filter((m) => m.wave === w.wave);
    lines.push('', `wave ${w.wave} (${w.customers.length} customer${w.customers.length === 1 ? '' : 's'} with a cutover, ${moves.length} move${moves.length === 1 ? '' : 's'}):`);
    for (const m of moves) lines.push(moveLine(m, fleet));
  }
  const warned = plan.scheduled.filter((m) => m.warnings.length > 0);
  if (warned.length) {
    lines.push('', 'warnings:');
    for (const m of warned) for (const w of m.warnings) lines.push(`  ${m.app}: ${w}`);
  }
  if (plan.unscheduled.length || problems.length) {
    lines.push('', 'not planned:');
    for (const p of problems) lines.push(`  ${p.app}: ${p.message}`);
    for (const u of plan.unscheduled) lines.push(`  ${u.move.app} (${u.move.from} → ${u.move.to}): ${u.reason}`);
  }
  if (total === 0 && problems.length === 0) lines.push('', 'nothing to move');
  return `${lines.join('\n')}\n`;
}
