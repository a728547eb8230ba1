/** E-mail notifications over SMTP (nodemailer): STARTTLS when the server offers it, or TLS from the start. */
import nodemailer from 'nodemailer';
import type { Notification } from '../../core/alerting/groups.js';
import { HafenError } from '../../lib/errors.js';

export interface SmtpSettings {
  host: string;
  port: number;
  secure: boolean;
  user?: string;
  password?: string;
}

export async function sendEmail(smtp: SmtpSettings, from: string, to: readonly string[], n: Notification, timeoutMs = 15_000): Promise<void> {
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.password ?? '' } } : {}),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  try {
    await transport.sendMail({ from, to: [...to], subject: n.title, text: `${n.text}\n\n-- \nhafen, ${n.at}\n`, headers: { 'X-Hafen-Group': n.group, 'X-Hafen-Kind': n.kind } });
  } catch (err) {
    const e = err as Error & { code?: string; responseCode?: number };
    // The server's answer is safe to show; the password never is (nodemailer does not put it in errors).
    throw new HafenError('HAFEN_NOTIFY_EMAIL', `the mail could not be sent via ${smtp.host}:${smtp.port} (${e.code ?? 'error'}${e.responseCode ? ` ${e.responseCode}` : ''}: ${e.message.slice(0, 200)})`, { retryable: (e.responseCode ?? 0) < 500 });
  } finally {
    transport.close();
  }
}
