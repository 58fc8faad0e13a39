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

import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const TOP = resolve(HERE, '../..');
const ARTIFACTS = resolve(HERE, '../artifacts');
const BASE = (process.env.BASE_URL || '').replace(/\/?$/, '/');
const PG_PORT = process.env.PG_PORT || '15433';
const REDIS_PORT = process.env.REDIS_PORT || '16380';
const ACTION_TIMEOUT_MS = 10000;
const PHONE = { width: 375, height: 667 };
const BATCH_NAME = '本科一批';
const INST = '1105';
const AXE = readFileSync(join(TOP, 'node_modules/axe-core/axe.min.js'),
                         'utf8');
const AXE_RULES = ['color-contrast', 'label', 'button-name', 'link-name',
                   'image-alt', 'html-has-lang', 'document-title'];

const LAUNCH_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic',
                     '--no-first-run', '--disable-background-networking',
                     '--disable-component-update', '--disable-sync'];

let n = 0;
let passed = 0;
let failed = 0;

function report(good, title, detail) {
    n++;

    if (good) {
        passed++;
        console.log(`ok ${n} - ${title}`);

    } else {
        failed++;
        console.log(`not ok ${n} - ${title}`);

        if (detail) {
            console.log(String(detail).split('\n').slice(0, 12)
                        .map((l) => '#   ' + l).join('\n'));
        }
    }

    return good;
}

async function check(title, fn) {
    try {
        const r = await fn();
        return report(r !== false, title);

    } catch (e) {
        return report(false, title, e && e.message ? e.message : e);
    }
}

function equal(got, want, what) {
    if (got !== want) {
        throw new Error(`${what}: got ${JSON.stringify(got)}, `
                        + `want ${JSON.stringify(want)}`);
    }
}

function contains(text, part, what) {
    if (!text.includes(part)) {
        throw new Error(`${what}: ${JSON.stringify(part)} not in `
                        + JSON.stringify(text.slice(0, 300)));
    }
}

function psql(sql) {
    return execFileSync('psql', ['-X', '-q', '-t', '-A', '-v',
                                 'ON_ERROR_STOP=1', '-h', '127.0.0.1',
                                 '-p', PG_PORT, '-U', 'heao', '-d', 'heao',
                                 '-c', sql],
                        { encoding: 'utf8' }).trim();
}

function candidate(t) {
    const out = execFileSync(join(TOP, 'tools/gen-demo'),
                             ['--test-candidate', String(t)],
                             { encoding: 'utf8' }).trim().split(' ');

    return { t, exam_no: out[0], id_no: out[1], password: out[2] };
}

// clears what an earlier run left: saves, messages, the browse cache
function reset(c) {
    const who = '(select id from heao.candidate'
                + ` where exam_no = '${c.exam_no}')`;

    c.id = psql(`begin;
        set local heao.purge = on;
        delete from heao.outbox where candidate_id = ${who};
        delete from heao.mailbox where candidate_id = ${who};
        delete from heao.group_state where candidate_id = ${who};
        delete from heao.save_history where candidate_id = ${who};
        commit;
        select ${who};`).split('\n').pop();
    execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', REDIS_PORT, 'DEL',
                               `heao:b:${c.id}`, `heao:ab:${c.id}`,
                               `heao:tu:${c.id}`,
                               `heao:lf:e:${c.exam_no}`]);
}

async function shot(page, name) {
    await page.screenshot({ path: join(ARTIFACTS, name), fullPage: true });
}

// what the page reports and what it asks for, kept per page
function watch(page, base) {
    const seen = { problems: [], foreign: [] };

    page.on('pageerror', (e) => seen.problems.push('pageerror: '
                                                   + e.message));
    // an API answering 401 or 404 is the page's normal business (the
    // login probe, a batch without a pledge); a missing file is not
    page.on('console', (msg) => {
        const from = (msg.location() || {}).url || '';

        if (msg.type() === 'error'
            && !(/^Failed to load resource/.test(msg.text())
                 && from.startsWith(base.origin + '/api/')))
        {
            seen.problems.push('console: ' + msg.text() + ' ' + from);
        }
    });
    page.on('request', (req) => {
        const u = new URL(req.url());

        if (!/^(data|blob|about):$/.test(u.protocol)
            && u.origin !== base.origin)
        {
            seen.foreign.push(req.url());
        }
    });

    return seen;
}

async function newPage(browser) {
    const context = await browser.newContext({ viewport: PHONE,
                                               locale: 'zh-CN',
                                               timezoneId: 'Asia/Shanghai' });
    const page = await context.newPage();

    page.setDefaultTimeout(ACTION_TIMEOUT_MS);

    return { context, page, seen: watch(page, new URL(BASE)) };
}

async function login(page, c) {
    await page.goto(BASE + 'index.html');
    await page.fill('#exam_no', c.exam_no);
    await page.fill('#id_no', c.id_no);
    await page.fill('#password', c.password);
    await page.click('#login-btn');
    await page.waitForURL(/home\.html/);
}

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
    const has = await page.evaluate(() => typeof window.axe === 'object');

    if (!has) {
        await page.evaluate(AXE);
    }

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
        const [sw, iw] = await page.evaluate(() => [
            document.documentElement.scrollWidth, window.innerWidth]);

        if (sw > iw) {
            throw new Error(`page is ${sw}px wide in a ${iw}px window`);
        }
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

async function batchOf() {
    const res = await fetch(BASE + 'api/batches');
    const data = await res.json();
    const b = (data.batches || []).find((x) => x.name === BATCH_NAME);

    if (!b || !b.open) {
        throw new Error(`${BATCH_NAME} is not an open batch`);
    }

    return b;
}

async function pages(browser, c, batch) {
    const { context, page, seen } = await newPage(browser);
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
    const { context, page, seen } = await newPage(browser);
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
        await page.waitForFunction(([s, w]) => {
            const o = document.querySelector(s);
            return o && o.textContent.trim().startsWith(w);
        }, ['#f-0-0-inst-name', inst.name]);
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
                               c.forEach(reset);
                               batch = await batchOf();
                           }))
    {
        browser = await chromium.launch({
            executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
            headless: true,
            args: LAUNCH_ARGS
        }).catch((e) => {
            report(false, 'chromium starts', e.message);
            return null;
        });
    }

    if (browser) {
        try {
            await pages(browser, c[0], batch);
            await keyboard(browser, c[1], batch);

        } finally {
            await browser.close();
        }
    }

    console.log(`1..${n}`);
    console.log(`${passed} passed, ${failed} failed`);
    process.exit(failed ? 1 : 0);
}

main().catch((e) => {
    console.log('not ok - unexpected: ' + (e && e.stack ? e.stack : e));
    console.log(`${passed} passed, ${failed + 1} failed`);
    process.exit(1);
});
