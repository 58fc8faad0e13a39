// heao: every page of html/ checked for what issue 6 promises of all of
// them, in a real browser at a phone-sized window (375x667):
//   - the security headers: a Content-Security-Policy whose script-src
//     has no 'unsafe-inline', frame denial, Referrer-Policy no-referrer;
//   - no script error or CSP refusal on the console, no request to
//     another host;
//   - no horizontal scroll;
//   - every input, select and textarea has a label (label[for],
//     aria-label, aria-labelledby or a wrapping label);
//   - axe-core's rules color-contrast, label, button-name, link-name,
//     image-alt, html-has-lang and document-title pass.
// Then a keyboard-only journey (Tab, Space, Enter and typing, no click):
// log in, open 本科一批, type an institution code in slot 1 and see its
// name, choose the adjustment, 检查, 保存志愿, reach browse; every
// control it stops at shows a focus ring.
// The fill page's promises for the last hour are in fill-ux.mjs.
//
// Test candidates 1900 (the pages) and 1901 (the keyboard journey); both
// are reset here.  Environment: BASE_URL, PG_PORT, REDIS_PORT; CHROMIUM
// optional.  Screenshots go to t/artifacts/access-*.png.  Prints TAP;
// exits 1 on any failure.

import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
    ARTIFACTS, BASE, SMALL_PHONE, TOP, batchOf, candidate, check, contains,
    crashed, equal, finish, injectAxe, launch, login, newStrictPage,
    noSideScroll, report, reset, setDetailLines, shot, waitName
} from './lib.mjs';

const BATCH_NAME = '本科一批';
const INST = '1105';
const AXE_RULES = ['color-contrast', 'label', 'button-name', 'link-name',
                   'image-alt', 'html-has-lang', 'document-title'];

// 12 lines of a failure's detail, not 6: a page's errors come in lists
setDetailLines(12);

function headerProblems(h) {
    const out = [];
    const csp = h['content-security-policy'] || '';
    const script = (csp.match(/(?:^|;)\s*script-src([^;]*)/)
                    || csp.match(/(?:^|;)\s*default-src([^;]*)/) || [])[1];

    if (!csp) {
        out.push('no Content-Security-Policy');

    } else if (script === undefined) {
        out.push('CSP has neither script-src nor default-src');

    } else if (/'unsafe-inline'|'unsafe-eval'|\*/.test(script)) {
        out.push('CSP script-src allows inline script: ' + script.trim());
    }

    if (!/frame-ancestors\s+'none'/.test(csp)
        && !/^deny$/i.test(h['x-frame-options'] || ''))
    {
        out.push('frames not denied');
    }

    if ((h['referrer-policy'] || '').toLowerCase() !== 'no-referrer') {
        out.push('Referrer-Policy: ' + (h['referrer-policy'] || 'none'));
    }

    return out;
}

// inputs, selects and textareas without a label of any kind
async function unlabelled(page) {
    return page.$$eval('input, select, textarea', (list) => list.filter((e) => {
        if (e.type === 'hidden') {
            return false;
        }

        if ((e.getAttribute('aria-label') || '').trim()) {
            return false;
        }

        const by = (e.getAttribute('aria-labelledby') || '').trim();

        if (by && by.split(/\s+/).every((id) => {
            const l = document.getElementById(id);
            return l && l.textContent.trim();
        })) {
            return false;
        }

        if (e.closest('label') && e.closest('label').textContent.trim()) {
            return false;
        }

        return !(e.id && [...document.querySelectorAll('label')].some(
            (l) => l.htmlFor === e.id && l.textContent.trim()));
    }).map((e) => e.outerHTML.slice(0, 120)));
}

async function axe(page) {
    await injectAxe(page);

    return page.evaluate(async (rules) => {
        const r = await window.axe.run(document, {
            runOnly: { type: 'rule', values: rules },
            resultTypes: ['violations']
        });

        return r.violations.map((v) => v.id + ': ' + v.help + ' - '
            + v.nodes.slice(0, 4).map((x) => x.target.join(' ')
                + (x.failureSummary ? ' (' + x.failureSummary
                   .replace(/\s+/g, ' ').slice(0, 160) + ')' : ''))
              .join('; '));
    }, AXE_RULES);
}

// the checks of one page, already loaded (response: its document's)
async function audit(page, seen, name, response) {
    await check(`${name}: security headers`, async () => {
        if (!response) {
            throw new Error('no response for the document');
        }

        const bad = headerProblems(await response.allHeaders());

        if (bad.length) {
            throw new Error(bad.join('\n'));
        }
    });

    await page.waitForLoadState('networkidle').catch(() => {});
    await shot(page, `access-${name.replace(/\W+/g, '_')}.png`);

    await check(`${name}: fits 375px without horizontal scroll`, async () => {
        await noSideScroll(page);
    });

    await check(`${name}: every field has a label`, async () => {
        const bad = await unlabelled(page);

        if (bad.length) {
            throw new Error(bad.join('\n'));
        }
    });

    await check(`${name}: axe ${AXE_RULES.join(' ')}`, async () => {
        const bad = await axe(page);

        if (bad.length) {
            throw new Error(bad.join('\n'));
        }
    });

    await check(`${name}: no console error, no request to another host`,
                async () => {
        const bad = seen.problems.concat(seen.foreign.map((u) =>
            'request to ' + u));

        seen.problems.length = 0;
        seen.foreign.length = 0;

        if (bad.length) {
            throw new Error(bad.join('\n'));
        }
    });
}

async function pages(browser, c, batch) {
    const { context, page, seen } = await newStrictPage(browser,
                                                        SMALL_PHONE);
    const q = '?batch=' + encodeURIComponent(batch.code);
    const done = new Set();
    let res;

    const visit = async (file, suffix, before) => {
        done.add(file);
        res = await page.goto(BASE + file + (suffix || ''));

        if (before) {
            await before();
        }

        await audit(page, seen, file, res);
    };

    // before the login
    await visit('index.html', '', () => page.waitForSelector('#batches'));
    await check('index.html with the login refused: axe', async () => {
        await page.goto(BASE + 'index.html');
        await page.click('#login-btn');
        await page.waitForSelector('#exam_no-err:not([hidden])');

        const bad = await axe(page);

        if (bad.length) {
            throw new Error(bad.join('\n'));
        }
    });
    await visit('recover.html');

    await login(page, c);
    seen.problems.length = 0;

    await visit('home.html', '', () => page.waitForSelector(
        `#batch-${batch.code}`));
    await visit('notice.html', q, () => page.waitForSelector('#accept'));

    // the fill page as the notice opens it (F13)
    await page.check('#accept');
    const [fill] = await Promise.all([
        page.waitForResponse((r) => /\/fill\.html/.test(r.url())
                             && r.request().resourceType() === 'document'),
        page.click('#agree')
    ]);
    await page.waitForSelector('#f-0-0-inst');
    done.add('fill.html');
    await audit(page, seen, 'fill.html', fill);

    for (const f of ['browse.html', 'history.html', 'mailbox.html',
                     'info.html', 'contact.html', 'account.html'])
    {
        await visit(f);
    }

    await visit('pledge.html', q);
    await visit('abandon.html', q);

    await check('every page of html/ was checked', () => {
        const left = readdirSync(join(TOP, 'html'))
                     .filter((f) => f.endsWith('.html') && !done.has(f));

        if (left.length) {
            throw new Error('not checked: ' + left.join(' '));
        }
    });

    await context.close();
}

// Tab until the element matching sel has the focus (at most max presses);
// it must show that it has it
async function tabTo(page, sel, max) {
    for (let i = 0; i < (max || 60); i++) {
        const at = await page.evaluate((s) => {
            const a = document.activeElement;

            if (!a || !a.matches(s)) {
                return null;
            }

            const st = getComputedStyle(a);

            return st.outlineStyle !== 'none' && st.outlineWidth !== '0px'
                   || st.boxShadow !== 'none';
        }, sel);

        if (at === false) {
            throw new Error(`${sel} has the focus but shows no focus ring`);
        }

        if (at) {
            return;
        }

        await page.keyboard.press('Tab');
    }

    const at = await page.evaluate(() => {
        const a = document.activeElement;
        return a ? a.outerHTML.slice(0, 100) : 'nothing';
    });

    throw new Error(`Tab never reached ${sel}; focus on ${at}`);
}

async function keyboard(browser, c, batch) {
    const { context, page, seen } = await newStrictPage(browser,
                                                        SMALL_PHONE);
    let inst = null;

    await check(`keyboard: ${INST} is in the catalog of ${BATCH_NAME}`,
                async () => {
        const r = await fetch(BASE + `api/catalog/${batch.code}/${INST}`);
        equal(r.status, 200, 'catalog');
        inst = await r.json();
    });

    await check('keyboard: log in with Tab, typing and Enter', async () => {
        await page.goto(BASE + 'index.html');
        await page.waitForSelector('#batches');
        await tabTo(page, '#exam_no');
        await page.keyboard.type(c.exam_no);
        await tabTo(page, '#id_no', 3);
        await page.keyboard.type(c.id_no);
        await tabTo(page, '#password', 3);
        await page.keyboard.type(c.password);
        await page.keyboard.press('Enter');
        await page.waitForURL(/home\.html/);
    });

    await check(`keyboard: open ${BATCH_NAME} from home and accept the `
                + 'notice', async () => {
        await page.waitForSelector(`#batch-${batch.code}`);
        await tabTo(page, `#batch-${batch.code} a[href^="notice.html"]`);
        await page.keyboard.press('Enter');
        await page.waitForURL(/notice\.html/);
        await page.waitForSelector('#accept');
        await tabTo(page, '#accept');
        await page.keyboard.press('Space');
        await tabTo(page, '#agree', 10);
        await page.keyboard.press('Enter');
        await page.waitForURL(/fill\.html/);
        await page.waitForSelector('#f-0-0-inst');
    });

    await check('keyboard: slot 1 takes a code and shows its name',
                async () => {
        await tabTo(page, '#f-0-0-inst');
        await page.keyboard.type(INST);
        await waitName(page, '#f-0-0-inst', inst.name);
        await tabTo(page, '#f-0-0-adj-agree, #f-0-0-adj-disagree', 30);
        await page.keyboard.press('Space');
        equal(await page.isChecked('#f-0-0-adj-agree')
              || await page.isChecked('#f-0-0-adj-disagree'), true,
              'adjustment chosen');
    });

    await check('keyboard: 检查 passes', async () => {
        await tabTo(page, '#check', 200);
        await page.keyboard.press('Enter');
        await page.waitForSelector('#status.status-ok');
        contains(await page.textContent('#status'), '检查通过', 'status');
    });

    await check('keyboard: 保存志愿 saves and reaches browse', async () => {
        await page.keyboard.down('Shift');
        await tabTo(page, '#save', 5);
        await page.keyboard.up('Shift');
        await page.keyboard.press('Enter');
        await page.waitForURL(/browse\.html/);
        await page.waitForSelector('.group');
        contains(await page.textContent('main'), inst.name, 'browse');
        await shot(page, 'access-keyboard-browse.png');
    });

    await check('keyboard: no console error', () => {
        if (seen.problems.length) {
            throw new Error(seen.problems.join('\n'));
        }
    });

    await context.close();
}

async function main() {
    let browser = null;
    let batch = null;
    const c = [candidate(1900), candidate(1901)];

    console.log('TAP version 13');
    mkdirSync(ARTIFACTS, { recursive: true });

    if (!BASE.startsWith('http')) {
        report(false, 'environment', 'set BASE_URL');

    } else if (await check(`${BATCH_NAME} is open; candidates 1900 and `
                           + '1901 reset', async () => {
                               c.forEach((x) => reset(x));
                               batch = await batchOf(BATCH_NAME);
                           }))
    {
        browser = await launch();
    }

    if (browser) {
        try {
            await pages(browser, c[0], batch);
            await keyboard(browser, c[1], batch);

        } finally {
            await browser.close();
        }
    }

    finish();
}

main().catch(crashed);
