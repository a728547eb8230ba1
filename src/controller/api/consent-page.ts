/** The customer's consent page: the move in plain words and a form to answer it (no scripts, escaped text). */
import { fmtDuration } from '../../core/move/estimate.js';
import { localTime as local } from '../../core/move/messages.js';
import type { CustomerView } from '../moves.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const LABEL = { accept: 'I agree', decline: 'I do not agree', 'another-window': 'Please propose another time' } as const;
const SAID = { accept: 'agreed', decline: 'declined', 'another-window': 'asked for another time' } as const;

export function consentPage(v: CustomerView): string {
  const impact = v.strategy === 'live' ? 'It moves without downtime.' : v.strategy === 'switchover' ? 'It does not answer for a few seconds, at most twice, while its writes hand over; nothing it has confirmed is lost.' : `It will be unavailable for about ${fmtDuration(v.downtimeSeconds)}.`;
  const state = v.answer ? `<p class="answer">${esc(v.answer.by)} ${SAID[v.answer.decision]} on ${esc(local(v.answer.at, v.timezone))}.</p>` : '';
  const closed = v.state === 'expired' ? '<p>No answer came in time: nothing happens, and we will propose another date.</p>' : v.state === 'cancelled' ? '<p>This move was cancelled.</p>' : '';
  const form = v.decisions.length
    ? `<form method="post">
  <p><label>Your name <input name="by" maxlength="200" autocomplete="name"></label></p>
  <p><label>Note (optional)<br><textarea name="note" maxlength="2000" rows="3" cols="50"></textarea></label></p>
  <p>${v.decisions.map((d) => `<button type="submit" name="decision" value="${d}">${LABEL[d]}</button>`).join(' ')}</p>
  ${v.state === 'proposed' ? `<p>Please answer by ${esc(local(v.answerBy, v.timezone))}; without an answer nothing happens.</p>` : ''}
</form>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Moving ${esc(v.app)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5}button{margin-right:.5rem;padding:.4rem .8rem}</style></head>
<body>
<h1>Moving ${esc(v.app)} to ${esc(v.to)}</h1>
<p>Dear ${esc(v.customer)},</p>
<p>${esc(v.app)} moves from ${esc(v.from)} to ${esc(v.to)} on ${esc(local(v.start, v.timezone))}. ${impact}</p>
${state}${closed}${form}
<p><small>Reference ${esc(v.id)}</small></p>
</body></html>
`;
}
