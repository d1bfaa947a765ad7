// Starts a real `leerpad serve` for the tests: a fresh data folder, a copy of the
// showcase course that learners may enrol in themselves (and of bundled courses from
// courses/ when asked), email to the test's SMTP server. Builds nothing: the binary
// must exist (cargo build) or LEERPAD_BIN names it.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort() {
  const srv = net.createServer();
  await new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', resolve);
  });
  const { port } = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/** Copies the showcase fixture into `dir/showcase`, made `listed`. */
export function copyShowcase(dir) {
  const from = path.join(REPO, 'tests/fixtures/valid/showcase');
  const to = path.join(dir, 'showcase');
  fs.cpSync(from, to, { recursive: true });
  const file = path.join(to, 'course.yaml');
  const yaml = fs.readFileSync(file, 'utf8');
  if (!/^visibility: hidden$/m.test(yaml)) {
    throw new Error(`${file}: expected a line "visibility: hidden" to change into "listed"`);
  }
  fs.writeFileSync(file, yaml.replace(/^visibility: hidden$/m, 'visibility: listed'));
}

/** Copies the bundled course `courses/<id>` into `dir/<id>`, as it is. */
export function copyBundled(dir, id) {
  const from = path.join(REPO, 'courses', id);
  if (!fs.existsSync(path.join(from, 'course.yaml'))) throw new Error(`no bundled course at ${from}`);
  fs.cpSync(from, path.join(dir, id), { recursive: true });
}

export class Leerpad {
  /**
   * `bundled`: ids of courses in the repository's courses/ to serve beside the showcase;
   * `env`: more `LEERPAD_*` settings for this server (such as `[community]`'s).
   */
  constructor({ smtpPort, adminEmail, bundled = [], env = {} }) {
    this.smtpPort = smtpPort;
    this.adminEmail = adminEmail;
    this.bundled = bundled;
    this.env = env;
    this.stdout = '';
    this.stderr = '';
    this.exited = null;
  }

  async start() {
    const bin = process.env.LEERPAD_BIN || path.join(REPO, 'target/debug/leerpad');
    if (!fs.existsSync(bin)) {
      throw new Error(`no Leerpad binary at ${bin}: run \`cargo build\` first, or set LEERPAD_BIN`);
    }
    this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'leerpad-e2e-'));
    const courses = path.join(this.tmp, 'courses');
    fs.mkdirSync(courses);
    copyShowcase(courses);
    for (const id of this.bundled) copyBundled(courses, id);
    const port = await freePort();
    this.baseUrl = `http://127.0.0.1:${port}`;

    // Only the settings below: nothing from the caller's LEERPAD_* environment.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LEERPAD_')));
    Object.assign(env, {
      NO_COLOR: '1',
      LEERPAD_LISTEN: `127.0.0.1:${port}`,
      LEERPAD_BASE_URL: this.baseUrl,
      LEERPAD_DATA_DIR: path.join(this.tmp, 'data'),
      LEERPAD_COURSES_DIR: courses,
      LEERPAD_SECRET: 'e2e-secret-e2e-secret-e2e-secret-e2e-secret',
      LEERPAD_REGISTRATION: 'open',
      LEERPAD_DEFAULT_LANGUAGE: 'nl',
      LEERPAD_ADMIN_EMAIL: this.adminEmail,
      LEERPAD_MAIL__SMTP_HOST: '127.0.0.1',
      LEERPAD_MAIL__SMTP_PORT: String(this.smtpPort),
      LEERPAD_MAIL__SMTP_SECURITY: 'none',
      LEERPAD_MAIL__FROM: 'Leerpad <leerpad@e2e.test>',
      ...this.env,
    });
    // Templates, texts and CSS from a theme folder instead of the ones built in, to
    // try a change to the theme without building the binary again.
    if (process.env.LEERPAD_E2E_THEME_DIR) env.LEERPAD_THEME_DIR = path.resolve(process.env.LEERPAD_E2E_THEME_DIR);
    // Its own process group, so that stop() ends it and anything it started.
    this.proc = spawn(bin, ['serve'], { cwd: this.tmp, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout.setEncoding('utf8').on('data', (d) => (this.stdout += d));
    this.proc.stderr.setEncoding('utf8').on('data', (d) => (this.stderr += d));
    this.exitedPromise = new Promise((resolve) =>
      this.proc.once('exit', (code, signal) => {
        this.exited = { code, signal };
        resolve();
      }),
    );
    // A safety net should the test runner be torn down without after() running.
    this.onExit = () => this.kill('SIGKILL');
    process.once('exit', this.onExit);
    await this.waitHealthy(30000);
  }

  async waitHealthy(timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer yet';
    while (Date.now() < deadline) {
      if (this.exited) {
        throw new Error(`leerpad serve exited (${JSON.stringify(this.exited)}) before /healthz answered:\n${this.logTail()}`);
      }
      try {
        const res = await fetch(`${this.baseUrl}/healthz`, { signal: AbortSignal.timeout(2000) });
        if (res.ok) return;
        last = `HTTP ${res.status}`;
      } catch (e) {
        last = e.cause?.code || e.message;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`/healthz did not answer 200 within ${timeoutMs} ms (last: ${last}):\n${this.logTail()}`);
  }

  /** The one-time administrator link printed on the first start. */
  adminLink() {
    const m = /(https?:\/\/\S+\/auth\/link\?token=\S+)/.exec(this.stdout);
    if (!m) throw new Error(`no administrator sign-in link on stdout:\n${this.stdout}`);
    return m[1];
  }

  logTail(lines = 40) {
    const tail = (s) => s.trimEnd().split('\n').slice(-lines).join('\n');
    return `--- leerpad stdout (tail) ---\n${tail(this.stdout)}\n--- leerpad stderr (tail) ---\n${tail(this.stderr)}`;
  }

  kill(signal) {
    if (!this.proc || this.exited) return;
    try {
      process.kill(-this.proc.pid, signal);
    } catch {
      // already gone
    }
  }

  /** Ends the process group: SIGTERM, then SIGKILL after 5 s. Removes the temp dir. */
  async stop() {
    if (this.proc && !this.exited) {
      this.kill('SIGTERM');
      const killer = setTimeout(() => this.kill('SIGKILL'), 5000);
      await this.exitedPromise;
      clearTimeout(killer);
    }
    if (this.onExit) process.removeListener('exit', this.onExit);
    if (this.tmp && !process.env.LEERPAD_E2E_KEEP) fs.rmSync(this.tmp, { recursive: true, force: true });
  }
}
