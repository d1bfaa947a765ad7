// Leerpad end to end, in a real headless Chromium against a real `leerpad serve` and
// a real SMTP server: a learner registers, signs in by magic link, takes the showcase
// course to its certificate; every kind of page is checked with axe-core (WCAG 2.0 and
// 2.1, A and AA) and for sideways scrolling at 360px.
//
//   cargo build && (cd tests/e2e && npm ci) && node --test tests/e2e/
//
// LEERPAD_BIN=path runs another binary; LEERPAD_E2E_SHOTS=/tmp/e2e-shots saves
// screenshots of every checked page at 1280px and 360px; LEERPAD_E2E_KEEP=1 keeps the
// temporary data folder.

import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';

import { Checks, PHONE, DESKTOP, texts } from './lib/checks.js';
import { Flow, button, main, pathIs } from './lib/flow.js';
import { Mailbox, UNDELIVERABLE } from './lib/mailbox.js';
import { Leerpad } from './lib/server.js';

const COURSE = 'showcase';
const ADMIN = 'beheer@e2e.test';
const LEARNER = { name: 'Sanne de Vries', email: 'sanne@e2e.test', password: 'een lange zin als wachtwoord' };
const NEW_PASSWORD = 'een nieuwe lange zin als wachtwoord';
const REFLECTION = 'In onze wijk zie ik twee kampen die elkaar online uitschelden.';

// The right answers, from tests/fixtures/valid/showcase/01-basis/03-toets.quiz.yaml and
// 02-oefenen/01-kort.quiz.yaml. Options, pairs and items are shown shuffled: they are
// picked by their text, never by position.
const RIGHT = {
  'q-enkel': { kind: 'single choice', choose: ['Uitspraken over de identiteit van de andere pool'] },
  'q-meer': { kind: 'multiple response', choose: ['Trekker', 'Stille midden'] },
  'q-waar': { kind: 'true or false', truth: false },
  'q-koppel': {
    kind: 'matching',
    match: {
      Misinformatie: 'Onjuist, zonder opzet om te schaden',
      Desinformatie: 'Onjuist, bewust verspreid om te schaden',
    },
  },
  'q-volgorde': {
    kind: 'ordering',
    order: ['Eerst het feit', 'Mythe (met waarschuwing)', 'Denkfout', 'Opnieuw het feit'],
  },
  'q-kort': { kind: 'short answer', text: 'Brandsma' },
  'q-pool-a': { kind: 'true or false (pool)', truth: false },
  'q-pool-b': { kind: 'true or false (pool)', truth: true },
};
const WRONG = {
  'q-enkel': { choose: ['Feiten'] },
  'q-meer': { choose: ['Scheidsrechter'] },
  'q-waar': { truth: true },
  'q-koppel': {
    match: {
      Misinformatie: 'Onjuist, bewust verspreid om te schaden',
      Desinformatie: 'Onjuist, zonder opzet om te schaden',
    },
  },
  'q-volgorde': { order: ['Opnieuw het feit', 'Denkfout', 'Mythe (met waarschuwing)', 'Eerst het feit'] },
  'q-kort': { text: 'Iemand anders' },
  'q-pool-a': { truth: true },
  'q-pool-b': { truth: false },
};

/** The kinds of page the checks must have seen (names given to checks.page). */
const EVERY_KIND = [
  'home', 'catalogue', 'course overview', 'lesson', 'quiz intro', 'quiz question', 'quiz feedback',
  'quiz result', 'scenario step', 'scenario ending', 'sign-in', 'register', 'sign-in link confirmation',
  'reset', 'new password', 'certificate', 'certificate verification', 'action plan', 'settings',
  'dashboard', 'error (404)', 'admin users', 'search results', 'search with an error', 'accessibility statement',
  'image at full size',
];

const T = texts('nl');
const checks = new Checks();
const mailbox = new Mailbox();
const flow = new Flow();
const { newPage, newContext, step, clickTo, gotoOk, expectHeading, expectText } = flow;
let leerpad;
let browser;
/** Browser contexts: a visitor who is never signed in, and the learner. */
let visitor;
let learner;
let certificateCode = null;

const itemPath = (item) => `/courses/${COURSE}/${item}`;

describe('Leerpad in Chromium', { timeout: 180000 }, () => {
  before(async () => {
    const smtpPort = await mailbox.start();
    leerpad = flow.leerpad = new Leerpad({ smtpPort, adminEmail: ADMIN });
    await leerpad.start();
    browser = await flow.launch();
    visitor = await newContext();
    learner = await newContext();
  });

  after(async () => {
    // Each on its own, so that one failing does not leave the server running.
    await browser?.close().catch((e) => console.error('closing Chromium:', e));
    await leerpad?.stop().catch((e) => console.error('stopping Leerpad:', e));
    await mailbox.stop().catch((e) => console.error('stopping the SMTP server:', e));
  });

  step('a visitor sees the home page, the catalogue and a course', async (t) => {
    const page = await newPage(visitor, 'visitor');
    await gotoOk(page, '/');
    await expectHeading(page, T('home.title'));
    await checks.page(t, page, 'home');

    await clickTo(page, page.getByRole('navigation').getByRole('link', { name: T('nav.courses') }), pathIs('/courses'));
    await expectHeading(page, T('catalogue.title'));
    await checks.page(t, page, 'catalogue');

    await clickTo(page, main(page).getByRole('link', { name: 'Alles wat het cursusformaat kan' }), pathIs(`/courses/${COURSE}`));
    await expectHeading(page, 'Alles wat het cursusformaat kan');
    await checks.page(t, page, 'course overview (visitor)');
  });

  step('a visitor sees the sign-in, register and reset pages, and a 404', async (t) => {
    const page = visitor.pages()[0];
    await gotoOk(page, '/auth/sign-in');
    await expectHeading(page, T('auth.sign-in'));
    await checks.page(t, page, 'sign-in');

    // A wrong password shows the form again with its error.
    await page.locator('#email').fill(LEARNER.email);
    await page.locator('#password').fill('niet het goede wachtwoord');
    await clickTo(page, button(page, T('auth.sign-in')), pathIs('/auth/sign-in'));
    await expectText(page, T('auth.wrong-credentials'));
    await checks.page(t, page, 'sign-in with an error');

    await gotoOk(page, '/auth/register');
    await expectHeading(page, T('auth.register'));
    await checks.page(t, page, 'register');

    await gotoOk(page, '/auth/reset');
    await expectHeading(page, T('auth.reset'));
    await checks.page(t, page, 'reset');

    await gotoOk(page, '/dit-bestaat-niet', 404);
    await expectHeading(page, T('error.not-found.title'));
    await checks.page(t, page, 'error (404)');
  });

  step('a learner registers and confirms the email address by its link', async (t) => {
    const page = await newPage(learner, 'learner');
    await gotoOk(page, '/auth/register');
    await page.getByLabel(T('auth.name')).fill(LEARNER.name);
    await page.getByLabel(T('auth.email')).fill(LEARNER.email);
    await page.getByLabel(T('auth.password')).fill(LEARNER.password);
    const since = mailbox.messages.length;
    await clickTo(page, button(page, T('auth.register')), pathIs('/auth/sign-in'));
    await expectText(page, T('notice.registered'));
    await checks.page(t, page, 'sign-in with a notice');

    const { link } = await mailbox.waitForLink(LEARNER.email, '/auth/verify', { since });
    // The link shows whose registration it confirms; only the button signs in.
    await gotoOk(page, link);
    await expectHeading(page, T('auth.verify'));
    await checks.page(t, page, 'confirm the email address');
    await clickTo(page, button(page, T('auth.verify-button')), pathIs('/'));
    assert.equal(new URL(page.url()).pathname, '/', `the verification link should lead to the dashboard, not ${page.url()}`);
    await expectText(page, T('notice.verified'));
    await expectHeading(page, T('dashboard.hello', { name: LEARNER.name }));
    await checks.page(t, page, 'dashboard (no courses yet)');
  });

  step('the learner signs out, then signs in with a magic link from email', async (t) => {
    const page = learner.pages()[0];
    await clickTo(page, page.getByRole('button', { name: T('nav.sign-out') }), pathIs('/'));
    await expectText(page, T('notice.signed-out'));
    await expectHeading(page, T('home.title'));

    await gotoOk(page, '/auth/sign-in');
    await page.locator('#link-email').fill(LEARNER.email);
    const since = mailbox.messages.length;
    await clickTo(page, button(page, T('auth.send-link')), pathIs('/auth/sign-in'));
    await expectText(page, T('notice.link-sent'));

    const { link } = await mailbox.waitForLink(LEARNER.email, '/auth/link', { since });
    await gotoOk(page, link);
    await expectText(page, T('auth.link-confirm', { email: LEARNER.email }));
    await checks.page(t, page, 'sign-in link confirmation');
    await clickTo(page, button(page, T('auth.sign-in')), pathIs('/'));
    await expectHeading(page, T('dashboard.hello', { name: LEARNER.name }));

    // The link works once.
    await gotoOk(page, link, 410);
    await expectHeading(page, T('auth.link-used'));
    await checks.page(t, page, 'used sign-in link');
  });

  step('the learner enrols in the course', async (t) => {
    const page = learner.pages()[0];
    await gotoOk(page, '/courses');
    await checks.page(t, page, 'catalogue (signed in)');
    await clickTo(page, main(page).getByRole('link', { name: 'Alles wat het cursusformaat kan' }), pathIs(`/courses/${COURSE}`));
    await checks.page(t, page, 'course overview (not enrolled)');
    await clickTo(page, button(page, T('course.enrol')), pathIs(`/courses/${COURSE}`));
    await expectText(page, T('notice.enrolled'));
    await expectText(page, T('progress.percent', { percent: 0 }));
    await checks.page(t, page, 'course overview (enrolled)');
  });

  step('lesson welkom: the learner saves a reflection and marks the lesson done', async (t) => {
    const page = learner.pages()[0];
    await clickTo(page, main(page).getByRole('link', { name: new RegExp(`^${T('course.continue')}`) }), pathIs(itemPath('welkom')));
    await expectHeading(page, 'Welkom');
    await checks.page(t, page, 'lesson');

    const answer = main(page).getByRole('textbox', { name: 'Wat valt je op in je eigen gemeente?' });
    await answer.fill(REFLECTION);
    await clickTo(page, button(page, T('reflection.save')), (u) => u.pathname === itemPath('welkom') && u.searchParams.get('notice') === 'saved');
    await expectText(page, T('notice.saved'));
    assert.equal(await answer.inputValue(), REFLECTION, 'the saved reflection should be shown again');
    await checks.page(t, page, 'lesson with a saved reflection');

    // Done leads on to the next lesson: videos (an embedded player and a file with
    // subtitles) and a download.
    await clickTo(page, button(page, T('lesson.mark-done')), pathIs(itemPath('verder')));
    await expectHeading(page, 'Verder');
    await checks.page(t, page, 'lesson with videos');
    await gotoOk(page, itemPath('welkom'));
    await expectText(page, T('lesson.is-done'));
  });

  step('on a phone, a lesson\'s diagram opens at its full size and leads back to its place', async (t) => {
    const page = learner.pages()[0];
    await gotoOk(page, itemPath('welkom'));
    await page.setViewportSize(PHONE);
    const alt = 'Twee polen met een stille middengroep ertussen';
    const inLesson = main(page).getByRole('img', { name: alt });
    const shrunk = await inLesson.evaluate((img) => img.getBoundingClientRect().width);
    await clickTo(page, main(page).getByRole('link', { name: new RegExp(`^${alt}`) }), pathIs(`${itemPath('welkom')}/figures/1`));
    await expectHeading(page, T('figure.title', { n: 1 }));
    const full = main(page).getByRole('img', { name: alt });
    const { width, natural } = await full.evaluate((img) => ({ width: img.getBoundingClientRect().width, natural: img.naturalWidth }));
    assert.ok(width >= natural && width >= shrunk, `the image is shown at ${width}px, its own width is ${natural}px (${shrunk}px in the lesson)`);
    await page.setViewportSize(DESKTOP);
    await checks.page(t, page, 'image at full size');
    await clickTo(page, main(page).getByRole('link', { name: T('figure.back', { lesson: 'Welkom' }) }), (u) => u.pathname === itemPath('welkom') && u.hash === '#figure-1');
  });

  step('a reflection is never lost: drafts save as one types, and a lesson button saves what is typed', async (t) => {
    const page = learner.pages()[0];
    await gotoOk(page, itemPath('welkom'));
    const answer = main(page).getByRole('textbox', { name: 'Wat valt je op in je eigen gemeente?' });
    // With JavaScript: a draft is saved a moment after typing, and the reflection's
    // own status line (a live region) says so.
    await answer.fill(`${REFLECTION} Een concept.`);
    await main(page).getByRole('status').filter({ hasText: T('reflection.draft-saved') }).waitFor({ timeout: 10000 });
    await page.reload();
    assert.equal(await answer.inputValue(), `${REFLECTION} Een concept.`, 'the draft was saved');
    // Without JavaScript, and without pressing "save": the lesson's own button saves
    // what is typed too.
    const nojs = await newContext({ javaScriptEnabled: false, storageState: await learner.storageState() });
    try {
      const plain = await newPage(nojs, 'learner without JavaScript');
      await gotoOk(plain, itemPath('welkom'));
      const typed = main(plain).getByRole('textbox', { name: 'Wat valt je op in je eigen gemeente?' });
      await typed.fill(`${REFLECTION} Aangevuld.`);
      await clickTo(plain, button(plain, T('lesson.not-done')), pathIs(itemPath('welkom')));
      assert.equal(await typed.inputValue(), `${REFLECTION} Aangevuld.`, 'what was typed was saved with the button');
      await clickTo(plain, button(plain, T('lesson.mark-done')), pathIs(itemPath('verder')));
    } finally {
      await nojs.close();
    }
    await gotoOk(page, itemPath('welkom'));
    assert.equal(await answer.inputValue(), `${REFLECTION} Aangevuld.`);
    await checks.page(t, page, 'lesson with a saved reflection (after completing)');
  });

  /** At 360px every answer of a matching or ordering question is shown whole. */
  async function answersReadWhole(page, kind) {
    await page.setViewportSize(PHONE);
    const cut = await main(page).locator('fieldset.match label').evaluateAll((labels) => labels
      .filter((l) => l.scrollWidth > l.clientWidth + 1 || l.getBoundingClientRect().right > window.innerWidth)
      .map((l) => l.textContent));
    assert.ok(await main(page).locator('fieldset.match label').count() > 0, `${kind}: no answers found`);
    assert.deepEqual(cut, [], `${kind}: answers cut off at ${PHONE.width}px`);
    await page.setViewportSize(DESKTOP);
  }

  /** Answers every question of an open attempt; checks each kind of page once. */
  async function answerQuiz(t, page, item, answers, seen) {
    for (let n = 0; n < 10; n++) {
      const question = await page.locator('input[name="question"]').inputValue();
      const right = RIGHT[question];
      assert.ok(right, `unknown question "${question}" in ${item}`);
      const a = answers[question];
      const form = main(page).locator('form');
      if (a.choose) {
        for (const label of a.choose) await form.getByLabel(label, { exact: true }).check();
      } else if (a.truth !== undefined) {
        await form.getByLabel(a.truth ? T('quiz.true') : T('quiz.false'), { exact: true }).check();
      } else if (a.match) {
        for (const [left, rightText] of Object.entries(a.match)) {
          await form.getByRole('group', { name: left, exact: true }).getByLabel(rightText, { exact: true }).check();
        }
      } else if (a.order) {
        for (const [i, text] of a.order.entries()) {
          const place = form.getByRole('group', { name: T('quiz.position', { n: i + 1 }), exact: true });
          await place.getByLabel(text, { exact: true }).check();
        }
      } else if (a.text) {
        await form.getByLabel(T('quiz.your-answer'), { exact: true }).fill(a.text);
      }
      if (!seen.has(`question ${right.kind}`)) {
        seen.add(`question ${right.kind}`);
        await checks.page(t, page, `quiz question: ${right.kind}`);
        if (a.match || a.order) await answersReadWhole(page, right.kind);
      }
      await clickTo(page, button(page, T('quiz.submit-answer')), (u) => u.searchParams.get('answered') === question);
      if (!seen.has(`feedback ${right.kind}`)) {
        seen.add(`feedback ${right.kind}`);
        await checks.page(t, page, `quiz feedback: ${right.kind}`);
      }
      const next = main(page).getByRole('link', { name: T('quiz.next-question'), exact: true });
      if (await next.count()) {
        await clickTo(page, next, (u) => !u.searchParams.has('answered'));
      } else {
        await clickTo(page, main(page).getByRole('link', { name: T('quiz.see-result'), exact: true }), (u) => !u.searchParams.has('answered'));
        return;
      }
    }
    throw new Error(`${item}: more questions than expected`);
  }

  const seenQuizPages = new Set();

  step('quiz toets-basis: wrong answers fail it', async (t) => {
    const page = learner.pages()[0];
    await gotoOk(page, itemPath('toets-basis'));
    await expectHeading(page, 'Toets: alle vraagtypes');
    await checks.page(t, page, 'quiz intro');
    await clickTo(page, button(page, T('quiz.start')), (u) => u.pathname.startsWith(`${itemPath('toets-basis')}/attempts/`));
    await answerQuiz(t, page, 'toets-basis', WRONG, seenQuizPages);
    await expectHeading(page, T('quiz.you-failed'));
    await expectText(page, T('quiz.final-score', { points: 0, max: 6, pass_mark: 60 }));
    await checks.page(t, page, 'quiz result (not passed)');
  });

  step('quiz toets-basis: right answers pass it on the second attempt', async (t) => {
    const page = learner.pages()[0];
    await clickTo(page, button(page, T('quiz.retry')), (u) => u.pathname.startsWith(`${itemPath('toets-basis')}/attempts/`));
    await answerQuiz(t, page, 'toets-basis', RIGHT, seenQuizPages);
    await expectHeading(page, T('quiz.you-passed'));
    await expectText(page, T('quiz.final-score', { points: 6, max: 6, pass_mark: 60 }));
    // Passed: the main button leads on to the next item, not to trying again.
    const onward = new RegExp(`^${T('item.next', { title: '' })}`);
    const mainButtons = () => main(page).locator('.button').allInnerTexts();
    assert.match((await mainButtons())[0], onward, 'after passing, the main button is the next item');
    await checks.page(t, page, 'quiz result (passed)');

    await gotoOk(page, itemPath('toets-basis'));
    await expectText(page, T('quiz.passed-already'));
    assert.match((await mainButtons())[0], onward, 'a passed quiz leads on first');
    assert.ok(!(await mainButtons()).includes(T('quiz.retry')), 'trying again is there, but not as the main button');
    await checks.page(t, page, 'quiz intro with attempts');
  });

  step('quiz kort-antwoord: a short answer and a pool question pass it', async (t) => {
    const page = learner.pages()[0];
    await gotoOk(page, itemPath('kort-antwoord'));
    await clickTo(page, button(page, T('quiz.start')), (u) => u.pathname.startsWith(`${itemPath('kort-antwoord')}/attempts/`));
    await answerQuiz(t, page, 'kort-antwoord', RIGHT, seenQuizPages);
    await expectHeading(page, T('quiz.you-passed'));
  });

  step('scenario verhit-debat: a poor ending, then the best one', async (t) => {
    const page = learner.pages()[0];
    const here = (u) => u.pathname === itemPath('verhit-debat');
    const choose = async (label) => {
      await main(page).getByLabel(label, { exact: true }).check();
      await clickTo(page, button(page, T('scenario.choose')), (u) => here(u) && u.searchParams.get('feedback') === '1');
    };
    await gotoOk(page, itemPath('verhit-debat'));
    await expectHeading(page, 'Een verhit debat');
    await checks.page(t, page, 'scenario intro');
    await clickTo(page, button(page, T('scenario.start')), here);
    await expectText(page, 'Onder een bericht verschijnen boze reacties.');
    await checks.page(t, page, 'scenario step');

    await choose('Alles verwijderen');
    await expectText(page, 'Dat voedt het verhaal van censuur.');
    await checks.page(t, page, 'scenario step with a consequence');
    await choose('De pagina sluiten');
    await expectText(page, T('scenario.outcome.poor'));
    await checks.page(t, page, 'scenario ending (poor)');

    await clickTo(page, button(page, T('scenario.again')), (u) => here(u) && !u.searchParams.has('feedback'));
    await choose('Huisregels vastpinnen en vragen beantwoorden');
    await expectText(page, T('scenario.outcome.best'));
    await expectText(page, 'Je richtte je op het midden.');
    await checks.page(t, page, 'scenario ending (best)');
  });

  step('the course is complete: certificate, action plan, dashboard and settings', async (t) => {
    const page = learner.pages()[0];
    await gotoOk(page, `/courses/${COURSE}`);
    // A completion moment: the course is complete, the certificate, the action plan,
    // and what to do next.
    await expectText(page, T('course.completed-title'));
    await expectText(page, T('course.complete'));
    await expectText(page, T('course.what-next'));
    assert.ok(await main(page).getByRole('link', { name: T('plan.title') }).count() > 0, 'the action plan is offered');
    await checks.page(t, page, 'course overview (complete)');
    await clickTo(page, main(page).getByRole('link', { name: T('certificate.view') }), pathIs(`/courses/${COURSE}/certificate`));
    await expectHeading(page, 'Cursusformaat verkend');
    await expectText(page, LEARNER.name);
    certificateCode = (await page.locator('.cert-code strong').textContent()).trim();
    assert.match(certificateCode, /^[A-Z0-9-]{6,32}$/, `the certificate's verification code looks wrong: "${certificateCode}"`);
    const verifyLink = await main(page).getByRole('link', { name: /\/certificates\// }).getAttribute('href');
    assert.equal(verifyLink, `${leerpad.baseUrl}/certificates/${certificateCode}`);
    await checks.page(t, page, 'certificate');

    await gotoOk(page, `/courses/${COURSE}`);
    await clickTo(page, main(page).getByRole('link', { name: T('plan.title') }), pathIs(`/courses/${COURSE}/action-plan`));
    await expectHeading(page, T('plan.title'));
    await expectText(page, 'Wat we zien');
    await expectText(page, REFLECTION);
    await checks.page(t, page, 'action plan');

    await clickTo(page, page.getByRole('navigation', { name: T('nav.label') }).getByRole('link', { name: T('nav.dashboard') }), pathIs('/'));
    await expectText(page, T('dashboard.completed'));
    await checks.page(t, page, 'dashboard');

    await clickTo(page, page.getByRole('link', { name: T('nav.settings') }), pathIs('/me'));
    await expectHeading(page, T('settings.title'));
    await checks.page(t, page, 'settings');
  });

  step('search, from the catalogue, and the accessibility statement, from the footer', async (t) => {
    const page = learner.pages()[0];
    await gotoOk(page, '/courses');
    await page.getByLabel(T('search.label')).fill('welkom');
    await clickTo(page, button(page, T('search.submit')), pathIs('/search'));
    await expectText(page, 'Welkom');
    assert.ok(await main(page).locator('mark').count() > 0, 'the words found are marked');
    await checks.page(t, page, 'search results');
    await page.getByLabel(T('search.label')).fill('');
    await clickTo(page, button(page, T('search.submit')), pathIs('/search'));
    await expectText(page, T('search.empty'));
    await checks.page(t, page, 'search with an error');

    await clickTo(page, page.getByRole('contentinfo').getByRole('link', { name: T('a11y.link') }), pathIs('/accessibility'));
    await expectHeading(page, T('a11y.title'));
    await checks.page(t, page, 'accessibility statement');
  });

  step('anyone can verify the certificate by its code', async (t) => {
    const context = await newContext();
    try {
      const page = await newPage(context, 'verifier');
      await gotoOk(page, `/certificates/${certificateCode}`);
      await expectHeading(page, T('certificate.verify'));
      await expectText(page, T('certificate.valid'));
      await expectText(page, LEARNER.name);
      await expectText(page, 'Cursusformaat verkend');
      await checks.page(t, page, 'certificate verification');

      await gotoOk(page, '/certificates/BESTAATNIET', 404);
      await expectText(page, T('certificate.unknown'));
      await checks.page(t, page, 'certificate verification (unknown code)');
    } finally {
      await context.close();
    }
  });

  step('a forgotten password is reset by email; the new one signs in', async (t) => {
    const page = visitor.pages()[0];
    await gotoOk(page, '/auth/reset');
    await page.getByLabel(T('auth.email')).fill(LEARNER.email);
    const since = mailbox.messages.length;
    await clickTo(page, button(page, T('auth.send-reset')), pathIs('/auth/sign-in'));
    await expectText(page, T('notice.reset-sent'));

    const { link } = await mailbox.waitForLink(LEARNER.email, '/auth/reset/confirm', { since });
    await gotoOk(page, link);
    await expectHeading(page, T('auth.new-password'));
    await checks.page(t, page, 'new password');
    await page.getByLabel(T('auth.password')).fill(NEW_PASSWORD);
    await clickTo(page, button(page, T('auth.save-password')), pathIs('/'));
    await expectText(page, T('notice.password-changed'));
    await clickTo(page, page.getByRole('button', { name: T('nav.sign-out') }), pathIs('/'));

    await gotoOk(page, '/auth/sign-in');
    await page.locator('#email').fill(LEARNER.email);
    await page.locator('#password').fill(NEW_PASSWORD);
    await clickTo(page, button(page, T('auth.sign-in')), pathIs('/'));
    await expectHeading(page, T('dashboard.hello', { name: LEARNER.name }));
  });

  step('the administrator signs in with the first-start link and sees the users and the status', async (t) => {
    const context = await newContext();
    try {
      const page = await newPage(context, 'admin');
      await gotoOk(page, leerpad.adminLink());
      await expectText(page, T('auth.link-confirm', { email: ADMIN }));
      await clickTo(page, button(page, T('auth.sign-in')), pathIs('/'));
      await clickTo(page, page.getByRole('link', { name: T('nav.admin') }), pathIs('/admin/users'));
      await expectHeading(page, T('admin.users'));
      await expectText(page, LEARNER.email);
      await checks.page(t, page, 'admin users');
      // An invitation to an address that does not exist fails for good.
      const nowhere = `niemand@${UNDELIVERABLE}`;
      await page.getByLabel(T('auth.name')).fill('Niemand');
      await page.getByLabel(T('auth.email')).fill(nowhere);
      await clickTo(page, button(page, T('admin.send-invite')), pathIs('/admin/users'));
      // The status page: the jobs the server runs, the outbox with the failed
      // invitation, and what was published.
      await clickTo(page, page.getByRole('link', { name: T('system.link') }), pathIs('/admin/status'));
      await expectHeading(page, T('system.title'));
      await expectText(page, T('system.published'));
      for (let i = 0; !(await page.locator('main').innerText()).includes(nowhere); i++) {
        assert.ok(i < 50, `the failed invitation to ${nowhere} is not on the status page`);
        await new Promise((r) => setTimeout(r, 200));
        await gotoOk(page, '/admin/status');
      }
      await expectText(page, '550');
      await checks.page(t, page, 'admin status');
      await clickTo(page, main(page).getByRole('button', { name: `${T('system.retry')} ${nowhere}` }), pathIs('/admin/status'));
      await expectText(page, T('notice.email-retried'));
    } finally {
      await context.close();
    }
  });

  step('keyboard: the skip link comes first and focus is visible', async () => {
    const context = await newContext();
    try {
      const page = await newPage(context, 'keyboard');
      await gotoOk(page, '/');
      await page.keyboard.press('Tab');
      const skip = await page.evaluate(() => {
        const e = document.activeElement;
        const r = e.getBoundingClientRect();
        const s = getComputedStyle(e);
        return { cls: e.className, href: e.getAttribute('href'), top: r.top, left: r.left, w: r.width, outline: s.outlineStyle };
      });
      assert.equal(skip.cls, 'skip-link', 'the first Tab should reach the skip link');
      assert.ok(skip.left >= 0 && skip.top >= 0 && skip.w > 0, `the focused skip link should be on screen: ${JSON.stringify(skip)}`);
      assert.notEqual(skip.outline, 'none', 'the focused skip link should show a focus outline');
      await page.keyboard.press('Enter');
      assert.equal(await page.evaluate(() => document.activeElement.id), 'main', 'the skip link should move focus to <main>');

      // Every link and button shows where focus is.
      const unfocusable = [];
      for (let i = 0; i < 15; i++) {
        await page.keyboard.press('Tab');
        const f = await page.evaluate(() => {
          const e = document.activeElement;
          const s = getComputedStyle(e);
          return { what: `${e.tagName.toLowerCase()} "${e.textContent.trim().slice(0, 40)}"`, outline: s.outlineStyle, width: s.outlineWidth };
        });
        if (f.what.startsWith('body')) break;
        if (f.outline === 'none' || f.width === '0px') unfocusable.push(f.what);
      }
      assert.deepEqual(unfocusable, [], `these show no focus outline: ${unfocusable.join(', ')}`);
    } finally {
      await context.close();
    }
  });

  step('every kind of page was checked', () => {
    const missing = EVERY_KIND.filter((kind) => !checks.seen.some((name) => name.startsWith(kind)));
    assert.deepEqual(missing, [], `no accessibility check ran on: ${missing.join(', ')}`);
  });

  step('no page had script errors, CSP refusals or broken assets', () => {
    assert.deepEqual(flow.problems, [], `problems in the browser:\n${flow.problems.join('\n')}`);
  });
});
