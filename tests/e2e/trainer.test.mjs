// Leerpad end to end for trainers, in a real headless Chromium against a real
// `leerpad serve` and a real SMTP server: a trainer registers with the address the
// showcase names among its `authors`; the administrator makes her a trainer on
// /admin/users; she finds "my courses as trainer" in the menu, opens the list and
// the course with its versions and learners in numbers. Both pages are checked with
// axe-core (WCAG 2.0 and 2.1, A and AA) at 1280px and 360px, and for sideways
// scrolling at 360px.
//
//   cargo build && (cd tests/e2e && npm ci) && node --test tests/e2e/trainer.test.mjs
//
// LEERPAD_BIN, LEERPAD_E2E_SHOTS and LEERPAD_E2E_KEEP work as for learner.test.js.

import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';

import { Checks, texts } from './lib/checks.js';
import { Flow, button, main, pathIs } from './lib/flow.js';
import { Mailbox } from './lib/mailbox.js';
import { Leerpad } from './lib/server.js';

const ADMIN = 'beheer@e2e.test';
/** The address in tests/fixtures/valid/showcase/course.yaml's `authors`. */
const TRAINER = { name: 'Tessa Trainer', email: 'tessa.trainer@example.org', password: 'een lange zin voor de trainer' };
const SHOWCASE = 'Alles wat het cursusformaat kan';
const EVERY_KIND = ['trainer courses', 'trainer course'];

const T = texts('nl');
const checks = new Checks();
const mailbox = new Mailbox();
const flow = new Flow();
const { newPage, newContext, step, clickTo, gotoOk, expectHeading, expectText } = flow;
let leerpad;
let browser;
let trainer;

describe('Leerpad for trainers in Chromium', { timeout: 120000 }, () => {
  before(async () => {
    const smtpPort = await mailbox.start();
    leerpad = flow.leerpad = new Leerpad({ smtpPort, adminEmail: ADMIN });
    await leerpad.start();
    browser = await flow.launch();
    trainer = await newContext();
  });

  after(async () => {
    await browser?.close().catch((e) => console.error('closing Chromium:', e));
    await leerpad?.stop().catch((e) => console.error('stopping Leerpad:', e));
    await mailbox.stop().catch((e) => console.error('stopping the SMTP server:', e));
  });

  step('the trainer registers and confirms her address; as a learner she has no trainer pages', async () => {
    const page = await newPage(trainer, 'trainer');
    await gotoOk(page, '/auth/register');
    await page.getByLabel(T('auth.name')).fill(TRAINER.name);
    await page.getByLabel(T('auth.email')).fill(TRAINER.email);
    await page.getByLabel(T('auth.password')).fill(TRAINER.password);
    const since = mailbox.messages.length;
    await clickTo(page, button(page, T('auth.register')), pathIs('/auth/sign-in'));
    const { link } = await mailbox.waitForLink(TRAINER.email, '/auth/verify', { since });
    await gotoOk(page, link);
    await clickTo(page, button(page, T('auth.verify-button')), pathIs('/'));
    const nav = page.getByRole('navigation', { name: T('nav.label') });
    assert.equal(await nav.getByRole('link', { name: T('nav.trainer') }).count(), 0, 'no trainer link for a learner');
    const res = await page.goto(`${leerpad.baseUrl}/trainer`);
    assert.equal(res.status(), 404, 'a learner gets "not found" on /trainer');
  });

  step('the administrator makes her a trainer on /admin/users', async () => {
    const context = await newContext();
    try {
      const page = await newPage(context, 'admin');
      await gotoOk(page, leerpad.adminLink());
      await clickTo(page, button(page, T('auth.sign-in')), pathIs('/'));
      await clickTo(page, page.getByRole('navigation', { name: T('nav.label') }).getByRole('link', { name: T('nav.admin') }), pathIs('/admin/users'));
      const row = main(page).locator('tbody tr', { hasText: TRAINER.email });
      await row.getByLabel(T('admin.role-of', { email: TRAINER.email })).selectOption('trainer');
      await clickTo(page, row.getByRole('button', { name: new RegExp(T('admin.change-role')) }), pathIs('/admin/users'));
      assert.equal(await row.getByLabel(T('admin.role-of', { email: TRAINER.email })).inputValue(), 'trainer');
    } finally {
      await context.close();
    }
  });

  step('the trainer opens her courses and the showcase with its numbers', async (t) => {
    const page = trainer.pages()[0];
    await gotoOk(page, '/');
    const nav = page.getByRole('navigation', { name: T('nav.label') });
    await clickTo(page, nav.getByRole('link', { name: T('nav.trainer') }), pathIs('/trainer'));
    await expectHeading(page, T('trainer.title'));
    await expectText(page, SHOWCASE);
    await checks.page(t, page, 'trainer courses');

    await clickTo(page, main(page).getByRole('link', { name: SHOWCASE }), pathIs('/trainer/showcase'));
    await expectHeading(page, SHOWCASE);
    await expectText(page, T('trainer.learners'));
    assert.equal((await page.locator('#fig-enrolled').innerText()).trim(), '0');
    assert.equal((await page.locator('#fig-rate').innerText()).trim(), '0%');
    const versions = await page.locator('#versions tbody tr').count();
    assert.equal(versions, 1, 'one version published');
    await checks.page(t, page, 'trainer course');
  });

  step('every kind of trainer page was checked, and nothing failed in the browser', async () => {
    const missing = EVERY_KIND.filter((kind) => !checks.seen.some((name) => name.startsWith(kind)));
    assert.deepEqual(missing, [], 'pages not checked');
    assert.deepEqual(flow.problems, [], 'problems in the browser');
  });
});
