// Leerpad end to end for coordinators, in a real headless Chromium against a real
// `leerpad serve` and a real SMTP server: the administrator creates an organisation,
// its coordinator accepts the emailed invitation, invites people one by one and from
// a CSV file (a wrong file first), assigns a bundled course to a group with a
// deadline, filters, sorts and exports the completion dashboard, changes a deadline,
// and reads the report through the API with a token that is then revoked. A learner
// downloads their data and deletes their account. Every kind of page is checked with
// axe-core (WCAG 2.0 and 2.1, A and AA) and for sideways scrolling at 360px.
//
//   cargo build && (cd tests/e2e && npm ci) && node --test tests/e2e/
//
// LEERPAD_BIN, LEERPAD_E2E_SHOTS and LEERPAD_E2E_KEEP work as for learner.test.js.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe } from 'node:test';

import { Checks, texts } from './lib/checks.js';
import { Flow, acceptInvitation as acceptInvitationIn, button, main, pathIs } from './lib/flow.js';
import { Mailbox } from './lib/mailbox.js';
import { Leerpad } from './lib/server.js';

/** A bundled course (courses/polarisatie), served beside the showcase. */
const COURSE = { id: 'polarisatie', title: 'Omgaan met polarisatie in je gemeente', firstLesson: 'meningsverschil-of-wij-zij' };
const ADMIN = 'beheer@e2e.test';
const ORG = { name: 'Gemeente Zottegem', slug: 'zottegem' };
const COORDINATOR = { name: 'Katrien Coppens', email: 'katrien@e2e.test', password: 'een lange zin voor de coördinator' };
/** Invited one by one with the form. */
const ILSE = { name: 'Ilse Verbeke', email: 'ilse@e2e.test', group: 'Burgerzaken' };
/** The learner who accepts the invitation, starts the course, and later deletes the account. */
const DIRK = { name: 'Dirk Wouters', email: 'dirk@e2e.test', password: 'een lange zin als wachtwoord' };
const GROUP = 'Burgerzaken';
const TOKEN_NAME = 'maandrapport voor het college';
/** Has an account of her own: the organisation can only ask her to join. */
const SOFIE = { name: 'Sofie Maes', email: 'sofie@e2e.test', password: 'een eigen zin als wachtwoord' };

/** A CSV file as Excel in Belgium saves it, with three wrong rows (lines 3 to 5). */
const WRONG_CSV = [
  'naam;e-mail;groep',
  'An Peeters;an@e2e.test;Burgerzaken',
  'Bram Claes;bram(at)e2e.test;Burgerzaken',
  ';chris@e2e.test;Jeugddienst',
  'Dirk Wouters;an@e2e.test;Burgerzaken',
].join('\r\n');
/**
 * The same people, right, with other column names and order, commas and a BOM; Ilse,
 * invited with the form already, is in it too.
 */
const RIGHT_CSV =
  '\uFEFF' +
  [
    'E-mailadres,Naam,Groep',
    'an@e2e.test,An Peeters,Burgerzaken',
    'bram@e2e.test,Bram Claes,Burgerzaken',
    'chris@e2e.test,Chris De Smet,Jeugddienst',
    `${DIRK.email},${DIRK.name},Burgerzaken`,
    `${ILSE.email},${ILSE.name},Burgerzaken`,
  ].join('\r\n') +
  '\r\n';

/** The kinds of page the checks must have seen (names given to checks.page). */
const EVERY_KIND = [
  'organisations', 'accept invitation', 'coordinator dashboard', 'members', 'import with problems',
  'import done', 'assignments', 'member', 'api tokens', 'settings with your data', 'delete account',
  'your organisations', 'confirm the email address', 'learner dashboard with deadlines', 'calendar feed',
];

const T = texts('nl');
const checks = new Checks();
const mailbox = new Mailbox();
const flow = new Flow();
const { newPage, newContext, step, clickTo, gotoOk, expectHeading, expectText } = flow;
let leerpad;
let browser;
/** Browser contexts: the coordinator and the learner (the administrator's is closed after use). */
let coordinator;
let learner;
/** The API token made on /me/api-tokens. */
let apiToken = null;
/** Bram's member page. */
let bramPath = null;
/**
 * What a page got wrong that the steps after it do not depend on (a notice not shown,
 * a wrong line number): noted, not thrown, so that the flow goes on; a step at the end
 * lists them all.
 */
const deferred = [];

const orgPath = (rest = '') => `/organisations/${ORG.slug}${rest}`;

/** A date `days` from today (UTC, as the server counts), as YYYY-MM-DD. */
function dateIn(days) {
  return new Date(Date.now() + days * 86400000).toISOString().slice(0, 10);
}
const ASSIGNED_DEADLINE = dateIn(30);
const BRAM_DEADLINE = dateIn(60);

/** YYYY-MM-DD (or YYYY-MM-DD HH:MM) as the pages show dates: DD-MM-YYYY. */
const shown = (value) => (value ? value.slice(0, 10).split('-').reverse().join('-') : '');

/** Whether a page's text shows the four first steps of a new organisation. */
function showsFirstSteps(text) {
  return ['org.step-invite', 'org.step-group', 'org.step-assign', 'org.step-deadline'].every((k) => text.includes(T(k)));
}

/** The cells of a table's body, as text, row by row. */
function tableRows(locator) {
  return locator.locator('tbody tr').evaluateAll((trs) =>
    trs.map((tr) => [...tr.querySelectorAll('th, td')].map((c) => c.innerText.trim())),
  );
}

/** The dashboard's rows, as the columns the CSV also has. */
function dashboardRows(page) {
  return page.locator('table.report tbody tr').evaluateAll((trs) =>
    trs.map((tr) => {
      const td = tr.querySelectorAll('td');
      const text = (i) => td[i].innerText.trim();
      return {
        name: td[0].querySelector('a').textContent.trim(),
        email: td[0].querySelector('.hint').textContent.trim(),
        group: text(1),
        course: text(2),
        status: text(3),
        progress: text(4).replace(/%$/, ''),
        last_activity: text(5),
        deadline: text(6),
        completed: text(7),
      };
    }),
  );
}

/** A small RFC 4180 reader: fields quoted with `"` where needed, CRLF between records. */
function parseCsv(text, delimiter) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === delimiter) {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else {
      field += c;
    }
  }
  if (field || row.length) rows.push([...row, field]);
  return rows;
}

/** Clicks a download link and returns the downloaded file's bytes and suggested name. */
async function download(page, link) {
  const [file] = await Promise.all([page.waitForEvent('download', { timeout: 15000 }), link.click()]);
  const failure = await file.failure();
  assert.equal(failure, null, `downloading ${file.url()} failed: ${failure}`);
  return { bytes: fs.readFileSync(await file.path()), name: file.suggestedFilename(), url: file.url() };
}

/** The notice `notice.<key>` that a redirect to `?notice=<key>` should show (deferred). */
async function expectNotice(page, key) {
  const url = new URL(page.url());
  assert.equal(url.searchParams.get('notice'), key, `expected a redirect to ?notice=${key}, at ${page.url()}`);
  const notices = await page.locator('.notice[role="status"]').allInnerTexts();
  if (!notices.some((n) => n.trim() === T(`notice.${key}`))) {
    deferred.push(`${url.pathname}?notice=${key} shows no notice "${T(`notice.${key}`)}" (notices on the page: ${JSON.stringify(notices)})`);
  }
}

async function uploadCsv(page, name, csv) {
  await main(page).getByLabel(T('members.file')).setInputFiles({ name, mimeType: 'text/csv', buffer: Buffer.from(csv, 'utf8') });
  await clickTo(page, button(page, T('members.upload-button')), pathIs(orgPath('/members/import')));
}

async function signIn(page, email, password) {
  await gotoOk(page, '/auth/sign-in');
  await page.locator('#email').fill(email);
  await page.locator('#password').fill(password);
  await clickTo(page, button(page, T('auth.sign-in')), (u) => ['/', '/auth/sign-in'].includes(u.pathname));
}

/** Accepts an emailed invitation in `page` (the shared helper, with this file's organisation). */
function acceptInvitation(t, page, who, since, check, role = 'member') {
  const onPage = check ? (p) => checks.page(t, p, 'accept invitation') : undefined;
  return acceptInvitationIn(flow, mailbox, page, who, { since, organisation: ORG, role, T, onPage });
}

describe('Leerpad for coordinators in Chromium', { timeout: 180000 }, () => {
  before(async () => {
    const smtpPort = await mailbox.start();
    leerpad = flow.leerpad = new Leerpad({ smtpPort, adminEmail: ADMIN, bundled: [COURSE.id] });
    await leerpad.start();
    browser = await flow.launch();
    coordinator = await newContext();
    learner = await newContext();
  });

  after(async () => {
    // Each on its own, so that one failing does not leave the server running.
    await browser?.close().catch((e) => console.error('closing Chromium:', e));
    await leerpad?.stop().catch((e) => console.error('stopping Leerpad:', e));
    await mailbox.stop().catch((e) => console.error('stopping the SMTP server:', e));
  });

  step('the administrator creates an organisation with its coordinator', async (t) => {
    const context = await newContext();
    try {
      const page = await newPage(context, 'admin');
      await gotoOk(page, leerpad.adminLink());
      await clickTo(page, button(page, T('auth.sign-in')), pathIs('/'));
      await clickTo(page, page.getByRole('navigation', { name: T('nav.label') }).getByRole('link', { name: T('nav.organisations') }), pathIs('/organisations'));
      await expectHeading(page, T('org.list-title'));
      await expectText(page, T('org.none'));

      const form = main(page).locator('form[action="/organisations"]');
      await form.getByLabel(T('org.name')).fill(ORG.name);
      await form.getByLabel(T('org.slug')).fill(ORG.slug);
      await form.getByLabel(T('org.coordinator-name')).fill(COORDINATOR.name);
      await form.getByLabel(T('org.coordinator-email')).fill(COORDINATOR.email);
      await clickTo(page, button(page, T('org.create-button')), pathIs(orgPath()));
      await expectNotice(page, 'organisation-created');
      await expectHeading(page, T('report.title'));
      await expectText(page, T('report.no-rows'));
      await checks.page(t, page, 'coordinator dashboard (no rows yet)');

      await gotoOk(page, '/organisations');
      await expectText(page, ORG.name);
      await checks.page(t, page, 'organisations (a list and the form)');
    } finally {
      await context.close();
    }
  });

  step('the coordinator accepts the invitation from the email and finds the organisation', async (t) => {
    const page = await newPage(coordinator, 'coordinator');
    await acceptInvitation(t, page, COORDINATOR, 0, true, 'coordinator');
    assert.ok(showsFirstSteps(await main(page).innerText()), 'a new organisation shows its first steps');
    // One organisation: the menu leads straight to its dashboard.
    await clickTo(page, page.getByRole('navigation', { name: T('nav.label') }).getByRole('link', { name: T('nav.organisations') }), pathIs(orgPath()));
    await expectHeading(page, T('report.title'));
  });

  step('the coordinator invites one person with the form', async (t) => {
    const page = coordinator.pages()[0];
    await clickTo(page, page.getByRole('navigation', { name: T('org.nav') }).getByRole('link', { name: T('org.members') }), pathIs(orgPath('/members')));
    await expectHeading(page, T('org.members'));
    await checks.page(t, page, 'members (only the coordinator)');

    const form = main(page).locator(`form[action="${orgPath('/members')}"]`);
    await form.getByLabel(T('auth.name')).fill(ILSE.name);
    await form.getByLabel(T('auth.email')).fill(ILSE.email);
    await form.getByLabel(T('report.group')).fill(ILSE.group);
    const since = mailbox.messages.length;
    await clickTo(page, button(page, T('admin.send-invite')), pathIs(orgPath('/members')));
    await expectNotice(page, 'invited');
    await expectText(page, T('members.list', { count: 2 }));
    await mailbox.waitForLink(ILSE.email, '/auth/invite', { since });
  });

  step('a CSV file with wrong rows is reported row by row, and nothing is imported', async (t) => {
    const page = coordinator.pages()[0];
    const since = mailbox.messages.length;
    await uploadCsv(page, 'leden-fout.csv', WRONG_CSV);
    await expectHeading(page, T('import.title'));
    await expectText(page, T('import.problems', { count: 3 }));
    await expectText(page, T('import.nothing-imported', { count: 1 }));
    // Lines count from the header, line 1, in a file with Excel's CRLF line endings.
    const expected = [
      ['3', 'bram(at)e2e.test', T('import.bad-email')],
      ['4', 'chris@e2e.test', T('import.missing-name')],
      ['5', 'an@e2e.test', T('import.duplicate', { line: 2 })],
    ];
    const problems = await tableRows(main(page).locator('table'));
    const withoutLines = (rows) => rows.map(([, email, problem]) => [email, problem.replace(/\d+/g, 'N')]);
    assert.deepEqual(withoutLines(problems), withoutLines(expected), 'one problem per wrong row, in order');
    if (JSON.stringify(problems) !== JSON.stringify(expected)) {
      deferred.push(`the import's problem table numbers lines wrongly: ${JSON.stringify(problems)}, expected ${JSON.stringify(expected)}`);
    }
    await checks.page(t, page, 'import with problems');

    await clickTo(page, main(page).getByRole('link', { name: T('import.back') }), pathIs(orgPath('/members')));
    await expectText(page, T('members.list', { count: 2 }));
    assert.equal(await main(page).getByText('an@e2e.test').count(), 0, 'nobody from the wrong file should be a member');
    assert.equal(mailbox.messages.length, since, 'a wrong file should send no invitations');
  });

  step('a correct CSV file invites everyone in it', async (t) => {
    const page = coordinator.pages()[0];
    await uploadCsv(page, 'leden.csv', RIGHT_CSV);
    await expectHeading(page, T('import.title'));
    await expectText(page, T('import.done', { count: 5 }));
    const expected = [
      ['2', 'an@e2e.test', T('import.result-invited')],
      ['3', 'bram@e2e.test', T('import.result-invited')],
      ['4', 'chris@e2e.test', T('import.result-invited')],
      ['5', DIRK.email, T('import.result-invited')],
      ['6', ILSE.email, T('import.result-member')],
    ];
    const results = await tableRows(main(page).locator('table'));
    assert.deepEqual(results.map((r) => r.slice(1)), expected.map((r) => r.slice(1)), 'one result per row, in order');
    if (JSON.stringify(results) !== JSON.stringify(expected)) {
      deferred.push(`the import's result table numbers lines wrongly: ${JSON.stringify(results)}, expected ${JSON.stringify(expected)}`);
    }
    await checks.page(t, page, 'import done');

    await clickTo(page, main(page).getByRole('link', { name: T('import.back') }), pathIs(orgPath('/members')));
    await expectText(page, T('members.list', { count: 6 }));
  });

  step('the coordinator assigns the course to a group with a deadline', async (t) => {
    const page = coordinator.pages()[0];
    await clickTo(page, page.getByRole('navigation', { name: T('org.nav') }).getByRole('link', { name: T('org.assignments') }), pathIs(orgPath('/assignments')));
    await expectHeading(page, T('org.assignments'));
    await expectText(page, T('assign.none'));

    const form = main(page).locator(`form[action="${orgPath('/assignments')}"]`);
    await form.getByLabel(T('report.course')).selectOption(COURSE.id);
    await form.getByLabel(T('assign.who')).selectOption({ label: T('assign.group', { name: GROUP }) });
    await form.getByLabel(T('assign.deadline')).fill(ASSIGNED_DEADLINE);
    await clickTo(page, button(page, T('assign.button')), pathIs(orgPath('/assignments')));
    await expectNotice(page, 'assigned');
    assert.deepEqual(
      (await tableRows(main(page).locator('table'))).map((r) => r.slice(0, 3)),
      [[COURSE.title, GROUP, shown(ASSIGNED_DEADLINE)]],
    );
    await checks.page(t, page, 'assignments (one)');
  });

  step('a learner from the file accepts the invitation and starts the course', async (t) => {
    const page = await newPage(learner, 'learner');
    await acceptInvitation(t, page, DIRK, 0, false);
    await gotoOk(page, `/courses/${COURSE.id}/${COURSE.firstLesson}`);
    await clickTo(page, button(page, T('lesson.mark-done')), (u) => u.pathname !== `/courses/${COURSE.id}/${COURSE.firstLesson}`);
    // The learner's dashboard shows the deadline the group was given, and the next step.
    await gotoOk(page, '/');
    await expectText(page, T('dashboard.deadlines'));
    await checks.page(t, page, 'learner dashboard with deadlines');
    // Their deadlines in their own calendar: a private feed address.
    await clickTo(page, main(page).getByRole('link', { name: T('dashboard.calendar') }), pathIs('/me/calendar'));
    await clickTo(page, button(page, T('calendar.create')), pathIs('/me/calendar'));
    const feed = await page.locator('#feed-url').inputValue();
    assert.match(feed, /\/calendar\/\d+\.[A-Za-z0-9_-]+\.ics$/, `the feed address: ${feed}`);
    const ics = await (await fetch(feed)).text();
    assert.match(ics, /BEGIN:VEVENT/, `the feed has the deadline: ${ics}`);
    await checks.page(t, page, 'calendar feed');
    await gotoOk(page, '/');
  });

  step('someone with an account of her own is asked to join, and accepts', async (t) => {
    const context = await newContext();
    try {
      const page = await newPage(context, 'sofie');
      await gotoOk(page, '/auth/register');
      await page.getByLabel(T('auth.name')).fill(SOFIE.name);
      await page.getByLabel(T('auth.email')).fill(SOFIE.email);
      await page.getByLabel(T('auth.password')).fill(SOFIE.password);
      let since = mailbox.messages.length;
      await clickTo(page, button(page, T('auth.register')), pathIs('/auth/sign-in'));
      const { link: verify } = await mailbox.waitForLink(SOFIE.email, '/auth/verify', { since });
      await gotoOk(page, verify);
      await checks.page(t, page, 'confirm the email address');
      await clickTo(page, button(page, T('auth.verify-button')), pathIs('/'));

      // The coordinator asks; until Sofie answers the organisation sees only the address.
      const cpage = coordinator.pages()[0];
      await gotoOk(cpage, orgPath('/members'));
      const form = main(cpage).locator(`form[action="${orgPath('/members')}"]`);
      await form.getByLabel(T('auth.name')).fill('Sofie');
      await form.getByLabel(T('auth.email')).fill(SOFIE.email);
      since = mailbox.messages.length;
      await clickTo(cpage, button(cpage, T('admin.send-invite')), pathIs(orgPath('/members')));
      await expectText(cpage, T('members.pending-name'));
      assert.ok(!(await main(cpage).innerText()).includes(SOFIE.name), 'the organisation sees her name before she accepts');
      const { message, link } = await mailbox.waitForLink(SOFIE.email, '/me/organisations', { since });
      assert.ok(message.text.includes(ORG.name), message.text);

      await gotoOk(page, link);
      await expectHeading(page, T('memberships.title'));
      await expectText(page, T('memberships.request-member', { organisation: ORG.name }));
      await checks.page(t, page, 'your organisations (a request)');
      await clickTo(page, button(page, T('memberships.accept', { organisation: ORG.name })), pathIs('/me/organisations'));
      await expectNotice(page, 'joined');
      await checks.page(t, page, 'your organisations (a member)');

      await gotoOk(cpage, orgPath('/members'));
      await expectText(cpage, SOFIE.name);
    } finally {
      await context.close();
    }
  });

  step('the dashboard: totals, a status filter, sorting by a column header', async (t) => {
    const page = coordinator.pages()[0];
    await clickTo(page, page.getByRole('navigation', { name: T('org.nav') }).getByRole('link', { name: T('org.dashboard') }), pathIs(orgPath()));
    await expectText(page, T('report.row-count', { count: 4 }));
    let rows = await dashboardRows(page);
    assert.deepEqual(
      rows.map((r) => [r.name, r.status, r.deadline]),
      [
        ['An Peeters', T('status.invited'), shown(ASSIGNED_DEADLINE)],
        ['Bram Claes', T('status.invited'), shown(ASSIGNED_DEADLINE)],
        [DIRK.name, T('status.in_progress'), shown(ASSIGNED_DEADLINE)],
        [ILSE.name, T('status.invited'), shown(ASSIGNED_DEADLINE)],
      ],
      'by default the rows are sorted by name',
    );
    const totals = await tableRows(main(page).locator('table.totals'));
    assert.equal(totals.length, 1);
    assert.equal(totals[0][0], COURSE.title);
    assert.equal(totals[0][1], '4', 'four learners are enrolled');
    // On a wide screen every column shows without scrolling the table; on a phone each
    // learner is a card whose values carry their column's name.
    for (const width of [1280, 1440, 1920]) {
      await page.setViewportSize({ width, height: 800 });
      const hidden = await main(page).locator('table.report').evaluate((table) => {
        const box = table.closest('.table-scroll');
        return box.scrollWidth - box.clientWidth;
      });
      assert.ok(hidden <= 1, `at ${width}px the dashboard's table hides ${hidden}px behind a scroll`);
    }
    await page.setViewportSize({ width: 360, height: 740 });
    const card = await main(page).locator('table.report tbody tr').first().evaluate((tr) => ({
      display: getComputedStyle(tr).display,
      label: getComputedStyle(tr.querySelector('td[data-label]'), '::before').content,
    }));
    assert.equal(card.display, 'block', 'on a phone a learner is a card, not a table row');
    assert.ok(card.label.includes(T('report.col.group')), `the card labels its values: ${card.label}`);
    await checks.page(t, page, 'coordinator dashboard');

    // Filter: only who has not activated the account yet.
    await main(page).getByRole('checkbox', { name: T('status.invited'), exact: true }).check();
    await clickTo(page, button(page, T('report.apply')), (u) => u.pathname === orgPath() && u.searchParams.getAll('status').includes('invited'));
    await expectText(page, T('report.row-count', { count: 3 }));
    rows = await dashboardRows(page);
    assert.deepEqual(rows.map((r) => r.name), ['An Peeters', 'Bram Claes', ILSE.name]);
    assert.ok(rows.every((r) => r.status === T('status.invited')), 'the filter shows only invited learners');
    assert.ok(await main(page).getByRole('checkbox', { name: T('status.invited'), exact: true }).isChecked(), 'the filter stays checked');

    // Sort: the name column is sorted ascending; its header sorts it descending.
    const header = (col) => main(page).locator('table.report thead th').filter({ has: page.getByRole('link', { name: T(`report.col.${col}`), exact: true }) });
    assert.equal(await header('name').getAttribute('aria-sort'), 'ascending');
    assert.equal(await header('deadline').getAttribute('aria-sort'), null);
    await clickTo(page, header('name').getByRole('link'), (u) => u.searchParams.get('sort') === 'name' && u.searchParams.get('order') === 'desc');
    assert.equal(await header('name').getAttribute('aria-sort'), 'descending');
    assert.equal(await main(page).locator('table.report thead th[aria-sort]').count(), 1, 'only one column is sorted');
    assert.deepEqual(new URL(page.url()).searchParams.getAll('status'), ['invited'], 'sorting keeps the filter');
    rows = await dashboardRows(page);
    assert.deepEqual(rows.map((r) => r.name), [ILSE.name, 'Bram Claes', 'An Peeters']);
    await checks.page(t, page, 'coordinator dashboard (filtered and sorted)');
  });

  step('the dashboard downloads exactly its rows as CSV and XLSX', async () => {
    const page = coordinator.pages()[0];
    const shownRows = await dashboardRows(page);

    const csv = await download(page, main(page).getByRole('link', { name: T('report.export-csv-semicolon') }));
    assert.match(csv.name, /\.csv$/, `the CSV download's name: ${csv.name}`);
    const url = new URL(csv.url);
    assert.equal(url.pathname, orgPath('/report.csv'));
    assert.deepEqual(url.searchParams.getAll('status'), ['invited'], 'the export link carries the filter');
    assert.deepEqual([...csv.bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'the CSV starts with a UTF-8 byte order mark');
    const text = csv.bytes.subarray(3).toString('utf8');
    const [head, ...records] = parseCsv(text, ';');
    assert.deepEqual(head.slice(0, 12), [
      'Naam', 'E-mail', 'Groep', 'Opleiding', 'Opleidings-id', 'Status', 'Voortgang (%)',
      'Ingeschreven', 'Deadline', 'Laatste activiteit', 'Afgerond', 'Certificaat',
    ], `the CSV's header row, split on ';': ${text.split('\r\n')[0]}`);
    assert.ok(records.every((r) => r.length === head.length), 'every CSV row has as many fields as the header');
    assert.deepEqual(
      records.map((r) => ({
        name: r[0], email: r[1], group: r[2], course: r[3], status: r[5], progress: r[6],
        last_activity: shown(r[9]), deadline: shown(r[8]), completed: shown(r[10]),
      })),
      shownRows,
      'the CSV holds the rows the filtered, sorted table shows, in its order',
    );
    assert.ok(records.every((r) => r[4] === COURSE.id));

    const xlsx = await download(page, main(page).getByRole('link', { name: T('report.export-xlsx') }));
    assert.match(xlsx.name, /\.xlsx$/, `the XLSX download's name: ${xlsx.name}`);
    assert.equal(xlsx.bytes.subarray(0, 2).toString('latin1'), 'PK', 'an XLSX file is a zip archive');
  });

  step('the coordinator changes one learner’s deadline on the member page', async (t) => {
    const page = coordinator.pages()[0];
    await clickTo(page, main(page).locator('table.report').getByRole('link', { name: 'Bram Claes' }), (u) => /^\/organisations\/[^/]+\/members\/\d+$/.test(u.pathname));
    bramPath = new URL(page.url()).pathname;
    await expectHeading(page, 'Bram Claes');
    await expectText(page, COURSE.title);
    const deadline = main(page).getByRole('region', { name: T('members.courses') }).getByLabel(T('assign.deadline'));
    assert.equal(await deadline.inputValue(), ASSIGNED_DEADLINE);
    await checks.page(t, page, 'member');

    // A date that has passed is refused here as on the assignments page.
    await deadline.fill(dateIn(-3));
    await clickTo(page, main(page).getByRole('button', { name: `${T('members.save-deadline')} ${COURSE.title}` }), pathIs(`${bramPath}/deadline`));
    await expectText(page, T('org.deadline-past'));
    await checks.page(t, page, 'member (a deadline in the past refused)');
    const again = main(page).getByRole('region', { name: T('members.courses') }).getByLabel(T('assign.deadline'));
    assert.equal(await again.inputValue(), ASSIGNED_DEADLINE, 'the refused date changed nothing');

    await again.fill(BRAM_DEADLINE);
    await clickTo(page, main(page).getByRole('button', { name: `${T('members.save-deadline')} ${COURSE.title}` }), pathIs(bramPath));
    await expectNotice(page, 'deadline-changed');
    assert.equal(await main(page).getByRole('region', { name: T('members.courses') }).getByLabel(T('assign.deadline')).inputValue(), BRAM_DEADLINE);
  });

  step('an API token reads the report; once revoked it no longer does', async (t) => {
    const page = coordinator.pages()[0];
    await clickTo(page, page.getByRole('link', { name: T('nav.settings') }), pathIs('/me'));
    await clickTo(page, main(page).getByRole('link', { name: T('settings.api-tokens') }), pathIs('/me/api-tokens'));
    await expectHeading(page, T('tokens.title'));
    await expectText(page, T('tokens.none'));
    await main(page).getByLabel(T('tokens.name')).fill(TOKEN_NAME);
    await main(page).getByLabel(T('tokens.validity')).selectOption({ label: T('tokens.days', { days: 30 }) });
    await clickTo(page, button(page, T('tokens.create')), pathIs('/me/api-tokens'));
    await expectText(page, T('tokens.created'));
    apiToken = (await page.locator('#new-token').textContent()).trim();
    assert.match(apiToken, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'the token is shown once, as a JWT');
    await checks.page(t, page, 'api tokens (a new token shown)');

    const report = `${leerpad.baseUrl}/api/v1/organisations/${ORG.slug}/report?format=json`;
    const auth = { headers: { Authorization: `Bearer ${apiToken}` } };
    let res = await fetch(report, auth);
    assert.equal(res.status, 200, `GET ${report} with the token: HTTP ${res.status}`);
    const body = await res.json();
    assert.equal(body.organisation.slug, ORG.slug);
    assert.deepEqual(body.rows.map((r) => r.name), ['An Peeters', 'Bram Claes', DIRK.name, ILSE.name]);
    const bram = body.rows.find((r) => r.name === 'Bram Claes');
    assert.equal(bram.deadline?.slice(0, 10), BRAM_DEADLINE, 'the changed deadline is in the report');
    assert.equal(body.rows.find((r) => r.name === DIRK.name).status, 'in_progress');

    await clickTo(page, main(page).getByRole('button', { name: `${T('tokens.revoke')} ${TOKEN_NAME}` }), pathIs('/me/api-tokens'));
    await expectNotice(page, 'token-revoked');
    await expectText(page, T('tokens.revoked'));
    res = await fetch(report, auth);
    assert.equal(res.status, 401, `GET ${report} with a revoked token: HTTP ${res.status}`);
  });

  step('the learner downloads their data and deletes their account', async (t) => {
    const page = learner.pages()[0];
    await clickTo(page, page.getByRole('link', { name: T('nav.settings') }), pathIs('/me'));
    await expectHeading(page, T('settings.title'));
    await expectText(page, T('privacy.title'));
    await checks.page(t, page, 'settings with your data');

    const data = await download(page, main(page).getByRole('link', { name: T('privacy.download') }));
    assert.match(data.name, /\.json$/, `the data download's name: ${data.name}`);
    const json = JSON.parse(data.bytes.toString('utf8'));
    assert.equal(json.profile?.email, DIRK.email, 'the downloaded data holds the account’s email address');
    assert.ok(JSON.stringify(json.enrolments).includes(COURSE.id), 'the downloaded data holds the enrolment');

    await clickTo(page, main(page).getByRole('link', { name: T('privacy.delete') }), pathIs('/me/delete'));
    await expectHeading(page, T('privacy.delete-title'));
    await checks.page(t, page, 'delete account');

    await main(page).getByLabel(T('auth.password')).fill('niet het goede wachtwoord');
    await clickTo(page, button(page, T('privacy.delete-button')), pathIs('/me/delete'));
    await expectText(page, T('privacy.wrong-password'));
    await checks.page(t, page, 'delete account (wrong password)');

    await main(page).getByLabel(T('auth.password')).fill(DIRK.password);
    await clickTo(page, button(page, T('privacy.delete-button')), pathIs('/'));
    await expectNotice(page, 'account-deleted');
    await expectHeading(page, T('home.title'));

    await signIn(page, DIRK.email, DIRK.password);
    assert.equal(new URL(page.url()).pathname, '/auth/sign-in', 'signing in with the deleted account should fail');
    await expectText(page, T('auth.wrong-credentials'));
  });

  step('the dashboard counts the deleted learner only anonymously', async () => {
    const page = coordinator.pages()[0];
    await gotoOk(page, orgPath());
    await expectText(page, T('report.row-count', { count: 3 }));
    const rows = await dashboardRows(page);
    assert.ok(!rows.some((r) => r.name === DIRK.name || r.email === DIRK.email), 'the deleted learner has no row');
    await expectText(page, T('report.anonymised', { course: COURSE.title, count: 1, completed: 0 }));
    const totals = await tableRows(main(page).locator('table.totals'));
    assert.equal(totals[0][1], '4', 'the deleted learner still counts among the enrolled, without a name');
  });

  step('keyboard: Tab reaches every filter and every sort link of the dashboard', async () => {
    const page = coordinator.pages()[0];
    await gotoOk(page, orgPath());
    const wanted = await page.evaluate(() =>
      [...document.querySelectorAll('form.filters :is(select, input, button, a), table.report thead a')].map((e) => e.id || e.getAttribute('href') || e.textContent.trim()),
    );
    assert.ok(wanted.length >= 15, `expected the filters and sort links, found ${wanted.join(', ')}`);
    const reached = new Set();
    const noOutline = [];
    for (let i = 0; i < 150 && reached.size < wanted.length; i++) {
      await page.keyboard.press('Tab');
      const f = await page.evaluate(() => {
        const e = document.activeElement;
        const s = getComputedStyle(e);
        const inside = e.closest('form.filters') || e.closest('table.report thead');
        return {
          key: e.id || e.getAttribute('href') || e.textContent.trim(),
          inside: Boolean(inside),
          // Focus on a part of the control inside its own (browser's) shadow tree, such
          // as a date field's calendar button, which the browser draws a ring around.
          ownPart: !e.matches(':focus'),
          outline: s.outlineStyle !== 'none' && s.outlineWidth !== '0px',
        };
      });
      if (!f.inside) continue;
      reached.add(f.key);
      if (!f.outline && !f.ownPart) noOutline.push(f.key);
    }
    const missing = wanted.filter((w) => !reached.has(w));
    assert.deepEqual(missing, [], `Tab never reached: ${missing.join(', ')}`);
    assert.deepEqual([...new Set(noOutline)], [], `these show no focus outline: ${noOutline.join(', ')}`);
  });

  step('every kind of page was checked', () => {
    const missing = EVERY_KIND.filter((kind) => !checks.seen.some((name) => name.startsWith(kind)));
    assert.deepEqual(missing, [], `no accessibility check ran on: ${missing.join(', ')}`);
  });

  step('no page had script errors, CSP refusals or broken assets', () => {
    assert.deepEqual(flow.problems, [], `problems in the browser:\n${flow.problems.join('\n')}`);
  });

  step('every notice and line number was right', () => {
    assert.deepEqual(deferred, [], `the pages got these wrong:\n${deferred.join('\n')}`);
  });
});
