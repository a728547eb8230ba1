/** Alerting: who gets notified of what, and how alerts are grouped and repeated. */
import { z } from 'zod';
import { Id } from './common.js';
import { SecretRef } from './app.js';
import { Monitoring } from './monitoring.js';

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const Duration = Monitoring.shape.interval.unwrap().describe('A duration like "30s", "15m" or "4h".');

const Url = z.string().regex(/^https?:\/\/\S+$/, 'must be an http:// or https:// URL');

export const Receiver = z
  .strictObject({
    id: Id.describe('Name of the receiver, e.g. "ops-mail".'),
    webhook: z
      .strictObject({
        url: z.union([Url, SecretRef]).describe('Where to POST; a URL that holds a token belongs in a secret ({secret: NAME}).'),
        format: z.enum(['json', 'slack', 'matrix']).default('json').describe('json: hafen\'s own body; slack: Slack/Mattermost incoming webhook ({text}); matrix: {text, format, html} (e.g. matrix-hookshot).'),
      })
      .optional()
      .describe('An HTTP webhook.'),
    email: z
      .strictObject({
        to: z.array(z.string().regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'must be an e-mail address')).min(1).describe('Recipients.'),
        from: z.string().min(3).describe('Sender, e.g. "hafen <alerts@ops.example>".'),
        smtp: z
          .strictObject({
            host: z.string().min(1).describe('SMTP server.'),
            port: z.number().int().min(1).max(65535).default(587).describe('Port (default 587).'),
            secure: z.boolean().default(false).describe('TLS from the start (port 465); otherwise STARTTLS when offered.'),
            user: z.string().optional().describe('Login name.'),
            password: SecretRef.optional().describe('Password, from the controller\'s secrets.'),
          })
          .describe('How to send.'),
      })
      .optional()
      .describe('E-mail over SMTP.'),
    minSeverity: z.enum(SEVERITIES).default('warning').describe('Alerts below this severity are not sent here (default warning).'),
    customers: z.array(Id).optional().describe('Only alerts about these customers (e.g. a customer\'s own contact); default: all.'),
  })
  .refine((r) => (r.webhook === undefined) !== (r.email === undefined), 'a receiver needs exactly one of "webhook" or "email"')
  .describe('Somewhere notifications go.');

export const Maintenance = z
  .strictObject({
    id: Id.describe('Name of the planned work, e.g. "hel-power-2026-12".'),
    from: z.iso.datetime({ offset: true }).describe('Start (ISO 8601 with offset, e.g. "2026-12-05T22:00:00+01:00").'),
    to: z.iso.datetime({ offset: true }).describe('End.'),
    customer: Id.optional().describe('Mute alerts about this customer.'),
    app: Id.optional().describe('Mute alerts about this app.'),
    site: Id.optional().describe('Mute alerts about this site.'),
    comment: z.string().min(1).describe('What is done (shown with every alert it mutes).'),
  })
  .refine((m) => m.customer !== undefined || m.app !== undefined || m.site !== undefined, 'planned work names at least one of customer, app or site')
  .refine((m) => Date.parse(m.from) < Date.parse(m.to), '"from" must be before "to"')
  .describe('Planned work: alerts that match are muted while it lasts (like a silence, but declared in the fleet).');

export const Alerting = z
  .strictObject({
    receivers: z.array(Receiver).default([]).describe('Where notifications go; every alert goes to every receiver whose severity and customers match.'),
    groupWait: Duration.default('10s').describe('How long a new group waits for more alerts before its first notification (default "10s").'),
    repeatInterval: Duration.default('4h').describe('A group still firing is notified again after this (default "4h").'),
    silenceReminder: Duration.default('15m').describe('Receivers are reminded this long before a silence ends (default "15m").'),
    maintenance: z.array(Maintenance).default([]).describe('Planned work that mutes the alerts it causes.'),
  })
  .describe('Alert notifications: receivers, grouping and repetition.');
