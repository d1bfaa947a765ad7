// A real SMTP server on 127.0.0.1 that keeps every message it receives, and a small
// MIME reader for the text part of Leerpad's emails (multipart/alternative,
// quoted-printable or base64).

import { SMTPServer } from 'smtp-server';

/** Mail to this domain is refused (550). */
export const UNDELIVERABLE = 'onbestelbaar.example';

export class Mailbox {
  constructor() {
    /** @type {{to: string[], subject: string, text: string, raw: string}[]} */
    this.messages = [];
    this.waiters = [];
    this.server = new SMTPServer({
      // Leerpad talks plain SMTP here (LEERPAD_MAIL__SMTP_SECURITY=none).
      disabledCommands: ['STARTTLS', 'AUTH'],
      authOptional: true,
      logger: false,
      // Addresses at this domain do not exist: a permanent failure, for the
      // administrator's status page to list.
      onRcptTo: (address, session, callback) => {
        if (address.address.toLowerCase().endsWith(`@${UNDELIVERABLE}`)) {
          const err = new Error('5.1.1 no such mailbox');
          err.responseCode = 550;
          return callback(err);
        }
        callback();
      },
      onData: (stream, session, callback) => {
        const chunks = [];
        stream.on('data', (c) => chunks.push(c));
        stream.on('error', callback);
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          try {
            const to = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
            const parsed = parseMessage(raw);
            this.messages.push({ to, subject: parsed.subject, text: parsed.text, raw });
            this.waiters.forEach((w) => w());
            callback();
          } catch (e) {
            callback(e);
          }
        });
      },
    });
  }

  /** Listens on a free port of 127.0.0.1 and returns it. */
  async start() {
    await new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', resolve);
    });
    return this.server.server.address().port;
  }

  async stop() {
    await new Promise((resolve) => this.server.close(resolve));
  }

  /**
   * Waits for the next message to `to` (after the ones already seen, counted by
   * `since`) whose text holds a link under `pathPrefix`; returns the message and
   * the link.
   */
  async waitForLink(to, pathPrefix, { since = 0, timeoutMs = 15000 } = {}) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages
        .slice(since)
        .filter((m) => m.to.includes(to.toLowerCase()))
        .map((m) => ({ message: m, link: findLink(m.text, pathPrefix) }))
        .find((x) => x.link);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) {
        const seen = this.messages
          .map((m) => `  to ${m.to.join(', ')}: "${m.subject}"`)
          .join('\n');
        throw new Error(
          `no email to ${to} with a link to ${pathPrefix} arrived within ${timeoutMs} ms; ` +
            `the SMTP server received ${this.messages.length}:\n${seen || '  (none)'}`,
        );
      }
      let wake;
      await new Promise((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 250));
        wake = () => {
          clearTimeout(t);
          resolve();
        };
        this.waiters.push(wake);
      });
      this.waiters = this.waiters.filter((w) => w !== wake);
    }
  }
}

function findLink(text, pathPrefix) {
  const links = text.match(/https?:\/\/[^\s<>"]+/g) || [];
  return links.find((l) => new URL(l).pathname === pathPrefix) || null;
}

// --- a minimal MIME reader ---

function splitHead(raw) {
  const at = raw.search(/\r?\n\r?\n/);
  const head = at < 0 ? raw : raw.slice(0, at);
  const body = at < 0 ? '' : raw.slice(at).replace(/^\r?\n\r?\n/, '');
  const headers = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body };
}

function decodeBody(body, encoding, charset) {
  const enc = (encoding || '7bit').toLowerCase();
  let bytes;
  if (enc === 'base64') {
    bytes = Buffer.from(body.replace(/\s+/g, ''), 'base64');
  } else if (enc === 'quoted-printable') {
    const soft = body.replace(/=\r?\n/g, '');
    const out = [];
    for (let i = 0; i < soft.length; i++) {
      if (soft[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(soft.slice(i + 1, i + 3))) {
        out.push(parseInt(soft.slice(i + 1, i + 3), 16));
        i += 2;
      } else {
        out.push(...Buffer.from(soft[i], 'utf8'));
      }
    }
    bytes = Buffer.from(out);
  } else {
    bytes = Buffer.from(body, 'utf8');
  }
  return new TextDecoder(charset || 'utf-8').decode(bytes);
}

function decodeWords(value) {
  return value.replace(/=\?([^?]+)\?([bqBQ])\?([^?]*)\?=/g, (_, charset, kind, text) => {
    const bytes =
      kind.toLowerCase() === 'b'
        ? Buffer.from(text, 'base64')
        : Buffer.from(
            text
              .replace(/_/g, ' ')
              .replace(/=([0-9A-Fa-f]{2})/g, (_m, h) => String.fromCharCode(parseInt(h, 16))),
            'latin1',
          );
    return new TextDecoder(charset).decode(bytes);
  });
}

function param(value, name) {
  const m = new RegExp(`${name}="?([^";]+)"?`, 'i').exec(value || '');
  return m ? m[1] : null;
}

/** The text/plain part of a message (or its only part). */
function textOf(headers, body) {
  const type = (headers['content-type'] || 'text/plain').toLowerCase();
  if (type.startsWith('multipart/')) {
    const boundary = param(headers['content-type'], 'boundary');
    const parts = body
      .split(`--${boundary}`)
      .slice(1)
      .filter((p) => !p.startsWith('--'))
      .map((p) => splitHead(p.replace(/^\r?\n/, '')));
    const texts = parts.map((p) => ({ type: p.headers['content-type'] || '', text: textOf(p.headers, p.body) }));
    const plain = texts.find((t) => t.type.toLowerCase().startsWith('text/plain'));
    return (plain || texts[0] || { text: '' }).text;
  }
  return decodeBody(body, headers['content-transfer-encoding'], param(headers['content-type'], 'charset'));
}

export function parseMessage(raw) {
  const { headers, body } = splitHead(raw);
  return { subject: decodeWords(headers.subject || ''), text: textOf(headers, body) };
}
