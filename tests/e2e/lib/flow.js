// What every end-to-end test file does with the browser: launch Debian's Chromium,
// open contexts and pages that record problems (script errors, CSP refusals, broken
// assets), run the flow as steps that stop at the first failure, and click or go to
// pages and wait until they have loaded.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { chromium } from 'playwright-core';

import { DESKTOP, serveAxe } from './checks.js';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const main = (page) => page.getByRole('main');
export const button = (page, name) => main(page).getByRole('button', { name, exact: true });
export const pathIs = (p) => (url) => url.pathname === p;

/**
 * One test file's flow: its Leerpad (set `flow.leerpad` before the first step), its
 * browser, the problems its pages had, and the first step that failed. The methods
 * are bound, so they can be taken out: `const { step, gotoOk } = flow`.
 */
export class Flow {
  constructor() {
    /** @type {import('./server.js').Leerpad | null} */
    this.leerpad = null;
    this.browser = null;
    /** Problems the pages had in the browser: script errors, CSP refusals, broken assets. */
    this.problems = [];
    /** The first failed step: the steps after it need what it should have done. */
    this.broken = null;
    /** The page the flow used last, for a screenshot when a step fails. */
    this.lastPage = null;
    for (const name of ['launch', 'newContext', 'newPage', 'step', 'clickTo', 'gotoOk', 'expectHeading', 'expectText']) {
      this[name] = this[name].bind(this);
    }
  }

  async launch() {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium`);
    this.browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    return this.browser;
  }

  async newContext(options = {}) {
    const context = await this.browser.newContext({ viewport: DESKTOP, locale: 'nl-NL', timezoneId: 'Europe/Amsterdam', ...options });
    await serveAxe(context);
    return context;
  }

  async newPage(context, who) {
    const page = await context.newPage();
    const base = () => this.leerpad.baseUrl;
    page.setDefaultTimeout(10000);
    page.setDefaultNavigationTimeout(15000);
    page.on('pageerror', (e) => this.problems.push(`${who}: script error on ${page.url()}: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content.Security.Policy|Refused to/i.test(m.text())) {
        this.problems.push(`${who}: ${page.url()}: ${m.text()}`);
      }
    });
    page.on('response', (r) => {
      const req = r.request();
      if (r.status() >= 400 && !req.isNavigationRequest() && r.url().startsWith(base())) {
        this.problems.push(`${who}: ${page.url()} loads ${r.url()}: HTTP ${r.status()}`);
      }
    });
    page.on('requestfailed', (req) => {
      // ERR_ABORTED: the page went on to the next one (favicons load after 'load'),
      // or a link turned out to be a download.
      if (req.url().startsWith(base()) && req.failure()?.errorText !== 'net::ERR_ABORTED') {
        this.problems.push(`${who}: ${page.url()} failed to load ${req.url()}: ${req.failure()?.errorText}`);
      }
    });
    return page;
  }

  /**
   * One step of the flow. Once a step fails the later ones are skipped, since they need
   * what it should have done; a failure says where the browser was and what Leerpad logged.
   */
  step(name, fn) {
    test(name, async (t) => {
      if (this.broken) {
        t.skip(`skipped: the earlier step "${this.broken}" failed`);
        return;
      }
      try {
        await fn(t);
      } catch (e) {
        this.broken = name;
        const shot = path.join(os.tmpdir(), `leerpad-e2e-failure-${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.png`);
        const page = this.lastPage && !this.lastPage.isClosed() ? this.lastPage : null;
        if (page) await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
        e.message +=
          `\n\nBrowser at: ${page ? page.url() : '(no page)'}` +
          (page ? `\nScreenshot: ${shot}` : '') +
          `\n${this.leerpad ? this.leerpad.logTail(20) : '(Leerpad did not start)'}`;
        throw e;
      }
    });
  }

  /**
   * Clicks and waits until the click has led to a new page whose URL passes `urlTest`
   * and that page has loaded (also when the URL is the same as before the click).
   */
  async clickTo(page, locator, urlTest) {
    this.lastPage = page;
    const arrived = page.waitForEvent('framenavigated', {
      predicate: (frame) => frame === page.mainFrame() && urlTest(new URL(frame.url())),
      timeout: 15000,
    });
    await Promise.all([arrived, locator.click()]).catch((e) => {
      throw new Error(`clicking ${locator} did not lead to the expected page (now at ${page.url()}): ${e.message}`);
    });
    await page.waitForLoadState('load');
  }

  async gotoOk(page, url, status = 200) {
    this.lastPage = page;
    const res = await page.goto(new URL(url, this.leerpad.baseUrl).href);
    assert.equal(res.status(), status, `GET ${url}: expected HTTP ${status}, got ${res.status()}`);
    return res;
  }

  async expectHeading(page, text) {
    const h1 = (await page.locator('h1').first().textContent()).trim();
    assert.equal(h1, text, `on ${page.url()}: expected the heading "${text}", found "${h1}"`);
  }

  async expectText(page, text, where = 'main') {
    const all = await page.locator(where).innerText();
    assert.ok(all.includes(text), `on ${page.url()}: expected to read "${text}" in ${where}; it says:\n${all}`);
  }
}

/**
 * Accepts an emailed invitation to `organisation` in `page`: checks what the email and
 * the page say, fills in the password, and waits until the person lands where they
 * should (a member on their dashboard, a coordinator on the organisation's). `T` is
 * the interface texts (checks.js `texts`); `onPage(page)` runs on the invitation's
 * page before it is accepted (an accessibility check, say).
 */
export async function acceptInvitation(flow, mailbox, page, who, { since = 0, organisation, role = 'member', T, onPage }) {
  const { message, link } = await mailbox.waitForLink(who.email, '/auth/invite', { since });
  assert.ok(message.text.includes(organisation.name), `the invitation should name the organisation:\n${message.text}`);
  assert.ok(message.text.includes(who.email), `the invitation should name the address:\n${message.text}`);
  await flow.gotoOk(page, link);
  await flow.expectHeading(page, T('auth.accept-invite'));
  // The page says which organisation, which role and which address.
  await flow.expectText(page, T(`invite.joins-${role}`, { organisation: organisation.name }));
  await flow.expectText(page, who.email);
  assert.equal(await page.getByLabel(T('auth.name')).inputValue(), who.name, 'the name from the invitation is filled in');
  if (onPage) await onPage(page);
  await page.getByLabel(T('auth.password'), { exact: true }).fill(who.password);
  if (role === 'coordinator') {
    await flow.clickTo(page, button(page, T('auth.accept-invite')), pathIs(`/organisations/${organisation.slug}`));
    await flow.expectHeading(page, T('report.title'));
  } else {
    await flow.clickTo(page, button(page, T('auth.accept-invite')), pathIs('/'));
    await flow.expectHeading(page, T('dashboard.hello', { name: who.name }));
  }
}
