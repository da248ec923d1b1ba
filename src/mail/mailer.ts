import nodemailer from 'nodemailer';
import type { QuaysideConfig } from '../config/load.js';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

/** Thrown when mail is wanted but FEATURE_MAILING is off or MAIL_SERVER is unset. */
export class MailingDisabled extends Error {
  constructor() {
    super('e-mail is not configured on this registry (FEATURE_MAILING and MAIL_SERVER)');
  }
}

/** Whether this registry can send e-mail. */
export function mailingConfigured(config: QuaysideConfig): boolean {
  return config.FEATURE_MAILING && config.MAIL_SERVER !== undefined;
}

/**
 * Sends e-mail through the SMTP server of Quay's MAIL_* keys. MAIL_USE_TLS asks for STARTTLS (as in
 * Quay, which uses Flask-Mail's TLS flag); port 465 means TLS from the first byte.
 */
export function createMailer(config: QuaysideConfig): Mailer {
  return {
    async send(message) {
      if (!mailingConfigured(config)) throw new MailingDisabled();
      const transport = nodemailer.createTransport({
        host: config.MAIL_SERVER,
        port: config.MAIL_PORT,
        secure: config.MAIL_PORT === 465,
        requireTLS: config.MAIL_USE_TLS && config.MAIL_PORT !== 465,
        ignoreTLS: !config.MAIL_USE_TLS,
        ...(config.MAIL_USE_AUTH ? { auth: { user: config.MAIL_USERNAME ?? '', pass: config.MAIL_PASSWORD ?? '' } } : {}),
      });
      try {
        await transport.sendMail({
          from: config.MAIL_DEFAULT_SENDER,
          to: message.to,
          subject: message.subject,
          text: message.text,
          ...(message.html ? { html: message.html } : {}),
        });
      } finally {
        transport.close();
      }
    },
  };
}
