/**
 * Webhook notifications: hafen's own JSON body, a Slack/Mattermost incoming webhook ({text}),
 * or a Matrix webhook ({text, format, html}, as matrix-hookshot takes it). Errors name the
 * status or the connection error, never the URL (a webhook URL often holds its token).
 */
import { request } from 'undici';
import type { Notification } from '../../core/alerting/groups.js';
import { HafenError } from '../../lib/errors.js';

export type WebhookFormat = 'json' | 'slack' | 'matrix';

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function webhookBody(n: Notification, format: WebhookFormat): unknown {
  if (format === 'slack') return { text: n.text };
  if (format === 'matrix') {
    const [title, ...lines] = n.text.split('\n');
    return { text: n.text, format: 'org.matrix.custom.html', html: `<strong>${escape(title ?? '')}</strong>${lines.length ? `<ul>${lines.map((l) => `<li>${escape(l.replace(/^- /, ''))}</li>`).join('')}</ul>` : ''}` };
  }
  return { version: 1, id: n.id, kind: n.kind, group: n.group, severity: n.severity, ...(n.customer ? { customer: n.customer } : {}), title: n.title, text: n.text, at: n.at, alerts: n.alerts, ...(n.migration ? { migration: n.migration } : {}) };
}

export async function sendWebhook(url: string, format: WebhookFormat, n: Notification, timeoutMs = 10_000): Promise<void> {
  let status: number;
  try {
    const res = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'hafen-controller' },
      body: JSON.stringify(webhookBody(n, format)),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    status = res.statusCode;
    await res.body.dump();
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
    throw new HafenError('HAFEN_NOTIFY_WEBHOOK', `the webhook could not be reached (${e.code ?? e.cause?.code ?? e.name})`, { retryable: true });
  }
  if (status < 200 || status >= 300) throw new HafenError('HAFEN_NOTIFY_WEBHOOK', `the webhook answered HTTP ${status}`, { retryable: status >= 500 || status === 429 });
}
