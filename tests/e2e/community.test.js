// The learning community end to end, in a real headless Chromium against a real
// `leerpad serve` and a real SMTP server: an organisation with a coordinator and two
// members; a member accepts the guidelines and starts a thread, another replies
// quoting her, and she follows the link in the reply email; a report hides a post
// (`hide_after_reports = 1`) until the coordinator restores it from the moderation
// queue; the coordinator hides and restores a post from the thread; a question gets
// its accepted answer; a post is edited (with its history) and another deleted; a
// learner opens a lesson's discussion. The same post, reply, report and moderation
// then once more with JavaScript off. Every kind of community page is checked with
// axe-core (WCAG 2.0 and 2.1, A and AA) at 1280px and 360px, in Dutch and some in
// English.
//
//   cargo build && (cd tests/e2e && npm ci) && node --test tests/e2e/community.test.js
//
// LEERPAD_BIN, LEERPAD_E2E_SHOTS and LEERPAD_E2E_KEEP work as for learner.test.js;
// LEERPAD_E2E_THEME_DIR=themes/default serves the theme from the working tree.

import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';

import { Checks, texts } from './lib/checks.js';
import { Flow, acceptInvitation, button, main, pathIs } from './lib/flow.js';
import { Mailbox } from './lib/mailbox.js';
import { Leerpad } from './lib/server.js';

const ADMIN = 'beheer@e2e.test';
const ORG = { name: 'Gemeente Ninove', slug: 'ninove' };
const COORDINATOR = { name: 'Katrien Coppens', email: 'katrien@e2e.test', password: 'een lange zin voor de coördinator' };
/** Starts threads, gets the reply email, accepts an answer. */
const AN = { name: 'An Peeters', email: 'an@e2e.test', password: 'een lange zin als wachtwoord' };
/** Replies, quotes, reports, edits and deletes. */
const BO = { name: 'Bo Claes', email: 'bo@e2e.test', password: 'nog een lange zin als wachtwoord' };
const SPACE = `/community/organisation-${ORG.slug}`;
const COURSE = 'showcase';
const LESSON = { id: 'welkom', path: `/courses/${COURSE}/welkom` };

/** The kinds of page the checks must have seen (names given to checks.page). */
const EVERY_KIND = [
  'community', 'space (guidelines to accept)', 'space', 'thread (member)', 'thread (a held first post, to its writer)',
  'moderation (a held post)', 'thread (moderator, a held post)', 'thread (a quotation in the reply box)',
  'report', 'report refused (422)', 'thread (a post hidden by a report, to its writer)', 'moderation (a reported post',
  'moderation (queue empty', 'thread (moderator, a hidden post)', 'thread (accepted answer)', 'edit', 'history',
  'thread (a deleted post)', 'lesson discussion (guidelines to accept)', 'lesson discussion', 'lesson discussion refused (422)', 'restrictions', 'restrictions (a muted member)',
  'search (form)', 'search (posts found)', 'search refused (422)',
  'english: community', 'english: thread (moderator)', 'english: moderation',
];

const T = texts('nl');
const EN = texts('en');
const checks = new Checks();
const mailbox = new Mailbox();
const flow = new Flow();
const { newPage, newContext, step, clickTo, gotoOk, expectHeading, expectText } = flow;
let leerpad;
let browser;
/** Browser contexts, each signed in: the coordinator and the two members. */
let coordinator;
let an;
let bo;
/** The first thread: its path and its posts' ids. */
const thread = { path: null, opening: null, boReply: null, anReply: null };
/** The question thread and the post later deleted. */
const question = { path: null, answer: null };
const deferred = [];

const threadId = (p) => Number(p.split('/').pop());
const isThread = (p) => (u) => u.pathname === p;
const post = (page, id) => main(page).locator(`article#post-${id}`);

/**
 * The checks of every page (checks.page), and one that axe leaves to a person: text in
 * exactly its background's colour, which axe calls "incomplete" rather than a violation
 * (a button in white on a white post was invisible).
 */
async function check(t, page, name) {
  await checks.page(t, page, name);
  await t.test(`no text in its background's colour: ${name}`, async () => {
    const same = await page.evaluate(async () => {
      const r = await window.axe.run(document, { runOnly: { type: 'rule', values: ['color-contrast'] } });
      return r.incomplete
        .flatMap((v) => v.nodes)
        .filter((n) => n.any.some((c) => c.data && c.data.contrastRatio === 1))
        .map((n) => `${n.target.join(' ')} (${n.any.map((c) => c.message).join('; ')})`);
    });
    assert.deepEqual(same, [], `on ${new URL(page.url()).pathname}, text that cannot be seen:\n${same.join('\n')}`);
  });
  await t.test(`headings in order, landmarks named apart, ids unique: ${name}`, async () => {
    const found = await page.evaluate(async () => {
      const rules = ['heading-order', 'empty-heading', 'page-has-heading-one', 'landmark-unique', 'landmark-one-main', 'region'];
      const r = await window.axe.run(document, { runOnly: { type: 'rule', values: rules } });
      const problems = r.violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')}`));
      const seen = new Map();
      for (const e of document.querySelectorAll('[id]')) seen.set(e.id, (seen.get(e.id) || 0) + 1);
      for (const [id, n] of seen) if (n > 1) problems.push(`duplicate id "${id}" (${n} times)`);
      return problems;
    });
    assert.deepEqual(found, [], `on ${new URL(page.url()).pathname}:\n${found.join('\n')}`);
  });
}

/** That the text of `locator` (a part of a page) includes `text`. */
async function expectIn(locator, text) {
  const all = await locator.innerText();
  assert.ok(all.includes(text), `expected to read "${text}" in ${locator}; it says:\n${all}`);
}

/** The post id a redirect named in its fragment (`#post-N`). */
function postIdOf(page) {
  const m = /^#post-(\d+)$/.exec(new URL(page.url()).hash);
  assert.ok(m, `expected an address ending in #post-N, at ${page.url()}`);
  return Number(m[1]);
}

/** The notice a redirect to `?notice=<key>` should show (deferred, not thrown). */
async function expectNotice(page, key, t = T) {
  const url = new URL(page.url());
  assert.equal(url.searchParams.get('notice'), key, `expected a redirect to ?notice=${key}, at ${page.url()}`);
  const notices = await page.locator('.notice[role="status"]').allInnerTexts();
  if (!notices.some((n) => n.trim() === t(`notice.${key}`))) {
    deferred.push(`${url.pathname}?notice=${key} shows no notice "${t(`notice.${key}`)}" (found ${JSON.stringify(notices)})`);
  }
}

/** Accepts the space's guidelines, from the space's page, if they are still to accept. */
async function acceptGuidelines(page, space, t) {
  await gotoOk(page, space);
  const accept = main(page).getByRole('button', { name: T('community.accept-guidelines'), exact: true });
  if ((await accept.count()) === 0) return;
  if (t) await check(t, page, 'space (guidelines to accept)');
  await clickTo(page, accept, pathIs(space));
  await expectNotice(page, 'guidelines-accepted');
}

/** Starts a thread in a space whose guidelines were accepted; returns the thread's path. */
async function startThread(page, space, { title, body, isQuestion = false }) {
  await gotoOk(page, space);
  const form = main(page).locator(`form[action="${space}/threads"]`);
  await form.getByLabel(T('community.thread-title')).fill(title);
  await form.getByLabel(T('community.post-text')).fill(body);
  if (isQuestion) await form.getByLabel(T('community.is-question')).check();
  await clickTo(page, form.getByRole('button', { name: T('community.post-thread'), exact: true }), (u) => u.pathname.startsWith('/community/threads/'));
  await expectHeading(page, title);
  return new URL(page.url()).pathname;
}

/** Replies in a thread (the page shows it); returns the new post's id. */
async function reply(page, path, body) {
  const box = page.locator('#reply').getByLabel(T('community.post-text'));
  await box.fill(body);
  await clickTo(page, page.locator('#reply').getByRole('button', { name: T('community.post-reply'), exact: true }), isThread(path));
  return postIdOf(page);
}

/** Reports a post, from its "report" link on the thread's page. */
async function report(page, path, id, reason, authorName) {
  await clickTo(page, post(page, id).getByRole('link', { name: `${T('community.report')} (${authorName})` }), pathIs(`/community/posts/${id}/report`));
  await expectHeading(page, T('community.report-post'));
  await main(page).getByLabel(T('community.report-reason')).fill(reason);
  await clickTo(page, button(page, T('community.send-report')), isThread(path));
  await expectNotice(page, 'post-reported');
}

/** Hides or restores a post from the thread's page (a moderator's). */
async function moderateOnThread(page, path, id, action, reason) {
  const form = post(page, id).locator('form.moderate-form');
  await form.getByLabel(T('community.moderation-reason')).fill(reason);
  await clickTo(page, form.getByRole('button', { name: T(`community.${action}`), exact: true }), isThread(path));
  await expectNotice(page, 'moderated');
}

/** The texts of the moderation log's rows: [who, what, why]. */
function logRows(page) {
  return main(page)
    .locator('section[aria-labelledby="log-title"] tbody tr')
    .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((c) => c.innerText.trim())).map((r) => [r[1], r[2], r[4]]));
}

async function invite(page, who) {
  await gotoOk(page, `/organisations/${ORG.slug}/members`);
  const form = main(page).locator(`form[action="/organisations/${ORG.slug}/members"]`);
  await form.getByLabel(T('auth.name')).fill(who.name);
  await form.getByLabel(T('auth.email')).fill(who.email);
  const since = mailbox.messages.length;
  await clickTo(page, button(page, T('admin.send-invite')), pathIs(`/organisations/${ORG.slug}/members`));
  return since;
}

describe('the learning community in Chromium', { timeout: 240000 }, () => {
  before(async () => {
    const smtpPort = await mailbox.start();
    leerpad = flow.leerpad = new Leerpad({
      smtpPort,
      adminEmail: ADMIN,
      env: {
        // One report hides a post until a moderator has looked at it.
        LEERPAD_COMMUNITY__HIDE_AFTER_REPORTS: '1',
        // A member's first post waits for a moderator's approval.
        LEERPAD_COMMUNITY__HOLD_FIRST_POSTS: '1',
        // The flow writes more than the default ten posts in ten minutes.
        LEERPAD_COMMUNITY__POSTS_PER_WINDOW: '100',
      },
    });
    await leerpad.start();
    browser = await flow.launch();
    coordinator = await newContext();
    an = await newContext();
    bo = await newContext();
  });

  after(async () => {
    await browser?.close().catch((e) => console.error('closing Chromium:', e));
    await leerpad?.stop().catch((e) => console.error('stopping Leerpad:', e));
    await mailbox.stop().catch((e) => console.error('stopping the SMTP server:', e));
  });

  step('an organisation with a coordinator and two members, one enrolled in a course', async () => {
    const context = await newContext();
    try {
      const page = await newPage(context, 'admin');
      await gotoOk(page, leerpad.adminLink());
      await clickTo(page, button(page, T('auth.sign-in')), pathIs('/'));
      await gotoOk(page, '/organisations');
      const form = main(page).locator('form[action="/organisations"]');
      await form.getByLabel(T('org.name')).fill(ORG.name);
      await form.getByLabel(T('org.slug')).fill(ORG.slug);
      await form.getByLabel(T('org.coordinator-name')).fill(COORDINATOR.name);
      await form.getByLabel(T('org.coordinator-email')).fill(COORDINATOR.email);
      await clickTo(page, button(page, T('org.create-button')), pathIs(`/organisations/${ORG.slug}`));
    } finally {
      await context.close();
    }
    const cpage = await newPage(coordinator, 'coordinator');
    await acceptInvitation(flow, mailbox, cpage, COORDINATOR, { since: 0, organisation: ORG, role: 'coordinator', T });
    for (const [who, context] of [[AN, an], [BO, bo]]) {
      const since = await invite(cpage, who);
      const page = await newPage(context, who.name);
      await acceptInvitation(flow, mailbox, page, who, { since, organisation: ORG, T });
    }
    const apage = an.pages()[0];
    await gotoOk(apage, `/courses/${COURSE}`);
    await clickTo(apage, button(apage, T('course.enrol')), pathIs(`/courses/${COURSE}`));
  });

  step('a member accepts the guidelines and starts a thread', async (t) => {
    const page = an.pages()[0];
    await clickTo(page, page.getByRole('navigation', { name: T('nav.label') }).getByRole('link', { name: T('nav.community') }), pathIs('/community'));
    await expectHeading(page, T('community.title'));
    await expectText(page, T('community.organisation-space', { name: ORG.name }));
    await expectText(page, T('community.network'));
    await check(t, page, 'community (the spaces of a member)');

    await clickTo(page, main(page).getByRole('link', { name: T('community.organisation-space', { name: ORG.name }) }), pathIs(SPACE));
    await expectText(page, T('community.no-threads'));
    await acceptGuidelines(page, SPACE, t);
    thread.path = await startThread(page, SPACE, {
      title: 'Hoe reageren jullie op haatberichten onder gemeentelijke posts?',
      body: 'Bij ons verwijderen we ze **meteen**. Wie doet het anders?',
    });
    thread.opening = postIdOf(page);
    // A first post waits for approval; its writer sees it, marked.
    await expectNotice(page, 'post-held');
    await expectIn(post(page, thread.opening), T('community.held'));
    await expectText(page, 'Bij ons verwijderen we ze meteen.');
    assert.equal(await main(page).locator('.post-body strong').first().innerText(), 'meteen', 'Markdown becomes HTML');
    await check(t, page, 'thread (a held first post, to its writer)');

    // The coordinator approves it from the queue.
    const cpage = coordinator.pages()[0];
    await gotoOk(cpage, '/community/moderation');
    const item = main(cpage).locator(`article:has(form[action="/community/posts/${thread.opening}/moderate"])`);
    await expectIn(item, T('community.state-held'));
    await check(t, cpage, 'moderation (a held post)');
    await item.getByLabel(T('community.moderation-reason')).fill('Een goede vraag.');
    await clickTo(cpage, item.getByRole('button', { name: T('community.approve'), exact: true }), pathIs('/community/moderation'));
    await expectNotice(cpage, 'moderated');
    await expectText(cpage, T('community.queue-empty'));

    await gotoOk(page, thread.path);
    assert.equal(await post(page, thread.opening).locator('.tag').count(), 0, 'an approved post is no longer marked');
    await check(t, page, 'thread (member)');
    await gotoOk(page, SPACE);
    await expectText(page, 'Hoe reageren jullie op haatberichten onder gemeentelijke posts?');
    await check(t, page, 'space (one thread)');
  });

  step('another member replies quoting the first; she gets the reply by email and follows its link', async (t) => {
    const page = await newPage(bo, BO.name);
    await acceptGuidelines(page, SPACE);
    await gotoOk(page, thread.path);
    await clickTo(page, post(page, thread.opening).getByRole('link', { name: `${T('community.quote')} (${AN.name})` }), (u) => u.pathname === thread.path && u.searchParams.get('quote') === String(thread.opening));
    const box = page.locator('#reply').getByLabel(T('community.post-text'));
    const quoted = await box.inputValue();
    assert.match(quoted, /^>/m, `the reply box starts with a quotation:\n${quoted}`);
    assert.ok(quoted.includes(AN.name) && quoted.includes('Bij ons verwijderen we ze'), `the quotation names the writer and quotes her:\n${quoted}`);
    await check(t, page, 'thread (a quotation in the reply box)');

    const since = mailbox.messages.length;
    await box.fill(`${quoted}\n\nWij laten ze eerst staan en antwoorden met de huisregels.`);
    await clickTo(page, page.locator('#reply').getByRole('button', { name: T('community.post-reply'), exact: true }), isThread(thread.path));
    thread.boReply = postIdOf(page);
    await expectNotice(page, 'post-held');
    assert.equal(await post(page, thread.boReply).locator('.post-body blockquote').count(), 1, 'the reply shows the quotation as a quotation');
    await expectText(page, 'Wij laten ze eerst staan');

    // The coordinator approves the held reply on the thread's page; then it is sent.
    const cpage = coordinator.pages()[0];
    await gotoOk(cpage, thread.path);
    await expectIn(post(cpage, thread.boReply), T('community.held'));
    await check(t, cpage, 'thread (moderator, a held post)');
    await moderateOnThread(cpage, thread.path, thread.boReply, 'approve', 'Past bij de vraag.');
    assert.equal(await post(cpage, thread.boReply).locator('.tag').count(), 0, 'the approved reply is no longer marked');

    const { message, link } = await mailbox.waitForLink(AN.email, thread.path, { since });
    assert.ok(message.subject.includes(BO.name), `the subject names who replied: ${message.subject}`);
    assert.ok(message.text.includes('Wij laten ze eerst staan'), `the email holds the reply:\n${message.text}`);
    const apage = an.pages()[0];
    await gotoOk(apage, link);
    await expectHeading(apage, 'Hoe reageren jullie op haatberichten onder gemeentelijke posts?');
    await expectText(apage, 'Wij laten ze eerst staan');
  });

  step('a member reports a post with a reason; one report hides it from members', async (t) => {
    const apage = an.pages()[0];
    thread.anReply = await reply(apage, thread.path, 'Die huisregels wil ik graag zien: kun je ze delen?');

    const page = bo.pages()[0];
    await gotoOk(page, thread.path);
    await clickTo(page, post(page, thread.anReply).getByRole('link', { name: `${T('community.report')} (${AN.name})` }), pathIs(`/community/posts/${thread.anReply}/report`));
    await expectHeading(page, T('community.report-post'));
    await check(t, page, 'report');

    // Only spaces: not a reason; the form comes back with what was wrong (422).
    await main(page).getByLabel(T('community.report-reason')).fill('   ');
    const refused = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `/community/posts/${thread.anReply}/report`);
    await clickTo(page, button(page, T('community.send-report')), pathIs(`/community/posts/${thread.anReply}/report`));
    assert.equal((await refused).status(), 422, 'a report without a reason is refused with 422');
    await expectText(page, T('community.refused.reason'));
    const field = main(page).getByLabel(T('community.report-reason'));
    assert.equal(await field.getAttribute('aria-invalid'), 'true', 'the refused field is marked invalid');
    assert.match(await field.getAttribute('aria-describedby'), /\bform-errors\b/, 'and described by what was wrong');
    await check(t, page, 'report refused (422)');

    await main(page).getByLabel(T('community.report-reason')).fill('Vraagt om gegevens die niet gedeeld mogen worden.');
    await clickTo(page, button(page, T('community.send-report')), isThread(thread.path));
    await expectNotice(page, 'post-reported');
    assert.equal(await post(page, thread.anReply).count(), 0, 'the reported post is hidden from other members');
    assert.ok(!(await main(page).innerText()).includes('Die huisregels wil ik graag zien'), 'the reported post is hidden from members');
    // Its writer still sees it, marked as hidden.
    await gotoOk(apage, thread.path);
    await expectIn(post(apage, thread.anReply), T('community.hidden'));
    await check(t, apage, 'thread (a post hidden by a report, to its writer)');
  });

  step('the coordinator sees the post with the reason in the queue, restores it with a reason, and the log shows it', async (t) => {
    const page = coordinator.pages()[0];
    await gotoOk(page, '/community');
    await check(t, page, 'community (a moderator)');
    await clickTo(page, main(page).getByRole('link', { name: T('community.moderation'), exact: true }), pathIs('/community/moderation'));
    await expectHeading(page, T('community.moderation'));
    const item = main(page).locator(`article:has(form[action="/community/posts/${thread.anReply}/moderate"])`);
    await expectIn(item, 'Die huisregels wil ik graag zien');
    await expectIn(item, 'Vraagt om gegevens die niet gedeeld mogen worden.');
    await expectIn(item, T('community.state-hidden'));
    const before = await logRows(page);
    assert.deepEqual(before[0], [T('community.log-system'), T('community.action-hidden-by-reports'), ''], `the log shows the post hidden by the report: ${JSON.stringify(before)}`);
    assert.deepEqual(before[1], [COORDINATOR.name, T('community.action-approve'), 'Past bij de vraag.'], `and the approval before it: ${JSON.stringify(before)}`);
    await check(t, page, 'moderation (a reported post, the log)');

    await item.getByLabel(T('community.moderation-reason')).fill('Een vraag naar de huisregels, geen persoonsgegevens.');
    await clickTo(page, item.getByRole('button', { name: T('community.restore'), exact: true }), pathIs('/community/moderation'));
    await expectNotice(page, 'moderated');
    await expectText(page, T('community.queue-empty'));
    const log = await logRows(page);
    assert.deepEqual(log[0], [COORDINATOR.name, T('community.action-restore'), 'Een vraag naar de huisregels, geen persoonsgegevens.'], `the log shows who restored it and why: ${JSON.stringify(log)}`);
    await check(t, page, 'moderation (queue empty, two log entries)');

    const bpage = bo.pages()[0];
    await gotoOk(bpage, thread.path);
    await expectText(bpage, 'Die huisregels wil ik graag zien');
  });

  step('the coordinator hides another post from the thread page and restores it', async (t) => {
    const page = coordinator.pages()[0];
    await gotoOk(page, thread.path);
    await moderateOnThread(page, thread.path, thread.boReply, 'hide', 'Even nakijken of de huisregels kloppen.');
    await expectIn(post(page, thread.boReply), T('community.hidden'));
    await check(t, page, 'thread (moderator, a hidden post)');

    const apage = an.pages()[0];
    await gotoOk(apage, thread.path);
    assert.ok(!(await main(apage).innerText()).includes('Wij laten ze eerst staan'), 'a hidden post is hidden from members');

    await moderateOnThread(page, thread.path, thread.boReply, 'restore', 'Klopt, de huisregels zijn die van de gemeente.');
    await gotoOk(apage, thread.path);
    await expectText(apage, 'Wij laten ze eerst staan');
  });

  step('a question: the asker marks a reply as the accepted answer and the badge shows', async (t) => {
    const apage = an.pages()[0];
    question.path = await startThread(apage, SPACE, {
      title: 'Welke huisregels gebruiken jullie op sociale media?',
      body: 'We zoeken een voorbeeld dat het college al goedkeurde.',
      isQuestion: true,
    });
    await expectText(apage, T('community.question'));

    const page = bo.pages()[0];
    await gotoOk(page, question.path);
    question.answer = await reply(page, question.path, 'Die van ons staan op de website, onder *Contact*.');

    await gotoOk(apage, question.path);
    await clickTo(apage, post(apage, question.answer).getByRole('button', { name: `${T('community.accept')} (${BO.name})` }), isThread(question.path));
    await expectNotice(apage, 'answer-accepted');
    await expectIn(post(apage, question.answer), T('community.accepted-answer'));
    await expectText(apage, T('community.answered'));
    await check(t, apage, 'thread (accepted answer)');

    await gotoOk(apage, SPACE);
    const row = main(apage).locator('li.thread-row').filter({ hasText: 'Welke huisregels gebruiken jullie op sociale media?' });
    await expectIn(row, T('community.answered'));
    await check(t, apage, 'space (two threads, one answered)');
  });

  step('an edited post says so and has its history; a deleted one leaves a marker', async (t) => {
    const page = bo.pages()[0];
    await gotoOk(page, question.path);
    await clickTo(page, post(page, question.answer).getByRole('link', { name: `${T('community.edit')} (${BO.name})` }), pathIs(`/community/posts/${question.answer}/edit`));
    await expectHeading(page, T('community.edit-post'));
    await check(t, page, 'edit');
    await main(page).getByLabel(T('community.post-text')).fill('Die van ons staan op de website, onder *Contact* en *Huisregels*.');
    await clickTo(page, button(page, T('community.save')), isThread(question.path));
    await expectNotice(page, 'post-edited');
    const edited = post(page, question.answer).getByRole('link', { name: T('community.edited'), exact: true });
    assert.equal(await edited.count(), 1, 'the edited post says "bewerkt"');

    await clickTo(page, edited, pathIs(`/community/posts/${question.answer}/history`));
    await expectHeading(page, T('community.history'));
    const versions = await main(page).locator('ol.history > li').allInnerTexts();
    assert.equal(versions.length, 2, `the history lists both versions: ${JSON.stringify(versions)}`);
    assert.ok(versions[0].includes('onder Contact.') && !versions[0].includes('Huisregels'), `first the old text: ${versions[0]}`);
    assert.ok(versions[1].includes(T('community.current-text')) && versions[1].includes('Huisregels'), `then the current one: ${versions[1]}`);
    await check(t, page, 'history');

    await gotoOk(page, question.path);
    const gone = await reply(page, question.path, 'Oeps, dit hoorde in een ander gesprek.');
    await clickTo(page, post(page, gone).getByRole('button', { name: T('community.delete'), exact: true }), isThread(question.path));
    await expectNotice(page, 'post-deleted');
    await expectIn(post(page, gone), T('community.deleted-post'));
    assert.ok(!(await main(page).innerText()).includes('Oeps, dit hoorde'), 'the deleted text is gone');
    await check(t, page, 'thread (a deleted post)');
  });

  step('an enrolled learner opens the discussion of a lesson', async (t) => {
    const page = an.pages()[0];
    await gotoOk(page, LESSON.path);
    await clickTo(page, main(page).getByRole('link', { name: T('community.discuss-lesson'), exact: true }), pathIs(`/community/course-${COURSE}/lessons/${LESSON.id}`));
    const discuss = `/community/course-${COURSE}/lessons/${LESSON.id}`;
    await expectText(page, T('community.lesson-intro'));
    // A first post in the course's space: its guidelines first, then back here to write.
    await check(t, page, 'lesson discussion (guidelines to accept)');
    await clickTo(page, button(page, T('community.accept-guidelines')), pathIs(discuss));
    await expectNotice(page, 'guidelines-accepted');
    await check(t, page, 'lesson discussion');

    // Only spaces is no text: refused (422), the field marked.
    const box = main(page).getByLabel(T('community.post-text'));
    await box.fill('   ');
    const refused = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === discuss);
    await clickTo(page, button(page, T('community.post-thread')), pathIs(discuss));
    assert.equal((await refused).status(), 422, 'a post without text is refused with 422');
    await expectText(page, T('community.refused.text'));
    assert.equal(await main(page).getByLabel(T('community.post-text')).getAttribute('aria-invalid'), 'true', 'the refused field is marked invalid');
    await check(t, page, 'lesson discussion refused (422)');

    const text = 'Het schema met de vijf rollen hielp me.';
    await main(page).getByLabel(T('community.post-text')).fill(text);
    await clickTo(page, button(page, T('community.post-thread')), (u) => u.pathname.startsWith('/community/threads/'));
    await expectText(page, text);
    // The lesson's link now leads to its thread.
    const lessonThread = new URL(page.url()).pathname;
    await gotoOk(page, discuss);
    assert.equal(new URL(page.url()).pathname, lessonThread, 'the lesson has one thread');
    await check(t, page, 'thread (a lesson’s, in a course space)');
  });

  step('the coordinator mutes a member on the restrictions page and lifts it', async (t) => {
    const page = coordinator.pages()[0];
    await gotoOk(page, `${SPACE}/restrictions`);
    await expectText(page, T('community.restrictions-none'));
    await check(t, page, 'restrictions');
    await main(page).getByLabel(T('community.restrict-email')).fill(BO.email);
    await main(page).getByLabel(T('community.restrict-days')).fill('2');
    await main(page).getByLabel(T('community.moderation-reason')).fill('Even afkoelen.');
    await clickTo(page, button(page, T('community.restrict-button')), pathIs(`${SPACE}/restrictions`));
    await expectNotice(page, 'restricted');
    await expectText(page, BO.name);
    await check(t, page, 'restrictions (a muted member)');
    await clickTo(page, main(page).getByRole('button', { name: `${T('community.lift')} (${BO.name})` }), pathIs(`${SPACE}/restrictions`));
    await expectNotice(page, 'lifted');
    await expectText(page, T('community.restrictions-none'));
  });

  step('a member searches the posts of the spaces she reads', async (t) => {
    const page = an.pages()[0];
    await gotoOk(page, '/community/search');
    await check(t, page, 'search (form)');
    await main(page).getByLabel(T('community.search-label')).fill('verwijderen meteen');
    await clickTo(page, button(page, T('community.search-button')), (url) => url.pathname === '/community/search');
    await expectText(page, 'Hoe reageren jullie op haatberichten');
    assert.ok(await page.locator('main mark').count() > 0, 'the words found are marked');
    await check(t, page, 'search (posts found)');
    await gotoOk(page, '/community/search?q=%22%2A%22', 422);
    await check(t, page, 'search refused (422)');
  });

  step('without JavaScript: post, reply with a quotation, report, and moderate from the queue', async () => {
    const nojs = {};
    try {
      for (const [name, context] of [['coordinator', coordinator], ['an', an], ['bo', bo]]) {
        nojs[name] = await newContext({ javaScriptEnabled: false, storageState: await context.storageState() });
      }
      const apage = await newPage(nojs.an, `${AN.name} without JavaScript`);
      const path = await startThread(apage, SPACE, { title: 'Zonder JavaScript: wie organiseert een dialoogavond?', body: 'Wij plannen er een in maart.' });
      const opening = postIdOf(apage);

      const bpage = await newPage(nojs.bo, `${BO.name} without JavaScript`);
      await gotoOk(bpage, path);
      await clickTo(bpage, post(bpage, opening).getByRole('link', { name: `${T('community.quote')} (${AN.name})` }), (u) => u.pathname === path && u.searchParams.has('quote'));
      const box = bpage.locator('#reply').getByLabel(T('community.post-text'));
      const quoted = await box.inputValue();
      assert.ok(quoted.includes('Wij plannen er een in maart.'), `without JavaScript the quotation is in the reply box too:\n${quoted}`);
      await box.fill(`${quoted}\n\nWij ook, in april.`);
      await clickTo(bpage, bpage.locator('#reply').getByRole('button', { name: T('community.post-reply'), exact: true }), isThread(path));
      const boReply = postIdOf(bpage);

      await gotoOk(apage, path);
      await report(apage, path, boReply, 'Reclame voor een eigen evenement.', BO.name);
      assert.equal(await post(apage, boReply).count(), 0, 'the reported reply is hidden');

      const cpage = await newPage(nojs.coordinator, 'coordinator without JavaScript');
      await gotoOk(cpage, '/community/moderation');
      const item = main(cpage).locator(`article:has(form[action="/community/posts/${boReply}/moderate"])`);
      await expectIn(item, 'Reclame voor een eigen evenement.');
      await item.getByLabel(T('community.moderation-reason')).fill('Een dialoogavond is geen reclame.');
      await clickTo(cpage, item.getByRole('button', { name: T('community.restore'), exact: true }), pathIs('/community/moderation'));
      await expectNotice(cpage, 'moderated');
      assert.equal((await logRows(cpage))[0][2], 'Een dialoogavond is geen reclame.');

      // And from the thread: hide, then restore.
      await gotoOk(cpage, path);
      await moderateOnThread(cpage, path, boReply, 'hide', 'Toch even nakijken.');
      await moderateOnThread(cpage, path, boReply, 'restore', 'Nagekeken.');
      await gotoOk(apage, path);
      await expectText(apage, 'Wij ook, in april.');
    } finally {
      for (const context of Object.values(nojs)) await context.close();
    }
  });

  step('in English: the community, a thread as moderator and the moderation page', async (t) => {
    const page = coordinator.pages()[0];
    await gotoOk(page, '/community');
    await clickTo(page, page.getByRole('button', { name: 'English', exact: true }), pathIs('/community'));
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    await expectHeading(page, EN('community.title'));
    await check(t, page, 'english: community');
    await gotoOk(page, thread.path);
    await expectText(page, EN('community.moderate-thread'));
    await check(t, page, 'english: thread (moderator)');
    await gotoOk(page, '/community/moderation');
    await expectHeading(page, EN('community.moderation'));
    await expectText(page, EN('community.action-restore'));
    await check(t, page, 'english: moderation');
  });

  step('every kind of community page was checked', () => {
    const missing = EVERY_KIND.filter((kind) => !checks.seen.some((name) => name.startsWith(kind)));
    assert.deepEqual(missing, [], `no accessibility check ran on: ${missing.join(', ')}`);
  });

  step('no page had script errors, CSP refusals or broken assets', () => {
    assert.deepEqual(flow.problems, [], `problems in the browser:\n${flow.problems.join('\n')}`);
  });

  step('every notice was shown', () => {
    assert.deepEqual(deferred, [], `the pages got these wrong:\n${deferred.join('\n')}`);
  });
});
