// Checks run on every kind of page: axe-core (WCAG 2.0/2.1, A and AA), no horizontal
// scrolling at 360px, and screenshots on request (LEERPAD_E2E_SHOTS=folder).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { REPO } from './server.js';

const require = createRequire(import.meta.url);
export const AXE_PATH = require.resolve('axe-core/axe.min.js');
/** Where pages load axe from: answered by the test (context.route), never by Leerpad,
 * so that the page's own Content-Security-Policy (script-src 'self') stays on. */
export const AXE_URL_PATH = '/__e2e__/axe.min.js';
export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 360, height: 740 };

/** The interface texts of a language, from the theme, to find buttons by their names. */
export function texts(lang) {
  const file = path.join(REPO, 'themes/default/i18n', `${lang}.toml`);
  const map = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^"([^"]+)"\s*=\s*("(?:[^"\\]|\\.)*")\s*$/.exec(line);
    if (m) map[m[1]] = JSON.parse(m[2]);
  }
  return (key, vars = {}) => {
    assert.ok(key in map, `${file} has no text "${key}"`);
    // As the server does: a text counting exactly one thing has its own `.one` form.
    const text = vars.count === 1 && `${key}.one` in map ? map[`${key}.one`] : map[key];
    return text.replace(/\{(\w+)\}/g, (_, v) => String(vars[v]));
  };
}

/** Serves axe-core to the pages of a browser context. */
export async function serveAxe(context) {
  await context.route(`**${AXE_URL_PATH}`, (route) =>
    route.fulfill({ path: AXE_PATH, contentType: 'text/javascript' }),
  );
}

export async function runAxe(page) {
  const loaded = await page.evaluate(() => typeof window.axe !== 'undefined');
  if (!loaded) await page.addScriptTag({ url: new URL(AXE_URL_PATH, page.url()).href });
  return page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }),
    WCAG_TAGS,
  );
}

export function describeViolations(violations) {
  return violations
    .map((v) => {
      const nodes = v.nodes
        .map((n) => `      - ${n.target.join(' ')}\n        ${(n.failureSummary || '').replace(/\n/g, '\n        ')}`)
        .join('\n');
      return `  * ${v.id} [${v.impact}] ${v.help}\n    ${v.helpUrl}\n    nodes:\n${nodes}`;
    })
    .join('\n');
}

async function settle(page) {
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

export class Checks {
  constructor() {
    this.shots = process.env.LEERPAD_E2E_SHOTS || null;
    if (this.shots) fs.mkdirSync(this.shots, { recursive: true });
    this.seen = [];
  }

  /**
   * Checks the page the browser shows now, as subtests of `t`: axe at 1280px and at
   * 360px, and that nothing scrolls sideways at 360px.
   */
  async page(t, page, name) {
    this.seen.push(name);
    const where = `${name} (${new URL(page.url()).pathname})`;
    await page.setViewportSize(DESKTOP);
    await settle(page);
    await this.shot(page, name, 'desktop');
    await t.test(`accessibility (axe, WCAG 2.1 AA) at 1280px: ${name}`, async () => {
      const { violations } = await runAxe(page);
      assert.equal(
        violations.length,
        0,
        `axe found ${violations.length} violation(s) on ${where} at 1280px:\n${describeViolations(violations)}`,
      );
    });
    await page.setViewportSize(PHONE);
    await settle(page);
    await this.shot(page, name, 'phone');
    await t.test(`no horizontal scrolling at 360px: ${name}`, async () => {
      const { scrollWidth, wide } = await page.evaluate(() => ({
        scrollWidth: document.documentElement.scrollWidth,
        // What sticks out, to say where to look.
        wide: [...document.querySelectorAll('body *')]
          .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
          // Leave out what a scrolling box around it clips (absolute boxes escape one
          // that is not positioned).
          .filter((e) => {
            const absolute = ['absolute', 'fixed'].includes(getComputedStyle(e).position);
            for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
              const s = getComputedStyle(a);
              if (absolute && s.position === 'static') continue;
              if (s.overflowX !== 'visible') return false;
            }
            return true;
          })
          .slice(0, 8)
          .map((e) => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}${e.className ? '.' + String(e.className).trim().replace(/\s+/g, '.') : ''} (right edge ${Math.round(e.getBoundingClientRect().right)}px)`),
      }));
      assert.ok(
        scrollWidth <= PHONE.width,
        `${where} scrolls sideways at ${PHONE.width}px: scrollWidth is ${scrollWidth}px; too wide: ${wide.join(', ')}`,
      );
    });
    await t.test(`accessibility (axe, WCAG 2.1 AA) at 360px: ${name}`, async () => {
      const { violations } = await runAxe(page);
      assert.equal(
        violations.length,
        0,
        `axe found ${violations.length} violation(s) on ${where} at 360px:\n${describeViolations(violations)}`,
      );
    });
    await page.setViewportSize(DESKTOP);
  }

  async shot(page, name, size) {
    if (!this.shots) return;
    const file = path.join(this.shots, `${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}-${size}.png`);
    await page.screenshot({ path: file, fullPage: true });
  }
}
