// heao: what the browser journeys of t/browser share.
//
// TAP: report() and check() print the numbered lines (setDetailLines()
// for longer failure details); equal() and contains() throw what a
// failed check prints; noProblems() is the check of what watch() saw;
// finish() prints the plan and the last line "N passed, M failed" and
// exits, 1 on any failure; crashed() ends a journey that threw.
// The site: BASE (BASE_URL), PG_PORT, REDIS_PORT, TOP, ARTIFACTS, the
// window sizes; psql(), and candidate(), who() and reset() for the test
// candidates of tools/gen-demo.
// Chromium: LAUNCH (its options) and launch(); newPage() with watch()
// (script errors, CSP refusals) or newStrictPage() with watchStrict()
// (an API's refusals let pass, requests to another host kept); login(),
// shot(), noSideScroll(); typeCode() and waitName() for the fill page;
// batchOf(); injectAxe().

import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

export const TOP = resolve(HERE, '../..');
export const ARTIFACTS = resolve(HERE, '../artifacts');
export const BASE = (process.env.BASE_URL || '').replace(/\/?$/, '/');
export const PG_PORT = process.env.PG_PORT || '15433';
export const REDIS_PORT = process.env.REDIS_PORT || '16380';
export const ACTION_TIMEOUT_MS = 10000;
export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 375, height: 812 };
export const SMALL_PHONE = { width: 375, height: 667 };

// how launch() starts chromium: from a fresh temporary profile each time
export const LAUNCH = {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic',
           '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync']
};

let n = 0;
let passed = 0;
let failed = 0;
let detailLines = 6;

// how many lines of a failure's detail report() prints (6 unless told)
export function setDetailLines(k) {
    detailLines = k;
}

export function report(good, title, detail) {
    n++;

    if (good) {
        passed++;
        console.log(`ok ${n} - ${title}`);

    } else {
        failed++;
        console.log(`not ok ${n} - ${title}`);

        if (detail) {
            console.log(String(detail).split('\n').slice(0, detailLines)
                        .map((l) => '#   ' + l).join('\n'));
        }
    }

    return good;
}

// one labelled check: fn throws or returns false to fail
export async function check(title, fn) {
    try {
        const r = await fn();
        return report(r !== false, title);

    } catch (e) {
        return report(false, title, e && e.message ? e.message : e);
    }
}

export function equal(got, want, what) {
    if (got !== want) {
        throw new Error(`${what}: got ${JSON.stringify(got)}, `
                        + `want ${JSON.stringify(want)}`);
    }
}

export function contains(text, part, what) {
    if (!text.includes(part)) {
        throw new Error(`${what}: ${JSON.stringify(part)} not in `
                        + JSON.stringify(text.slice(0, 300)));
    }
}

// the check after all the others: what watch() collected on every page
export function noProblems(problems, title) {
    return report(problems.length === 0,
                  title || 'no script error and no CSP refusal on any page',
                  problems.join('\n'));
}

// the end of a run: the plan line 1..N (unless plan is false), the count
// of passes and failures, and the exit status
export function finish({ plan = true } = {}) {
    if (plan) {
        console.log(`1..${n}`);
    }

    console.log(`${passed} passed, ${failed} failed`);
    process.exit(failed ? 1 : 0);
}

// for main().catch(): what was thrown counts as one more failure
export function crashed(e) {
    console.log('not ok - unexpected: ' + (e && e.stack ? e.stack : e));
    console.log(`${passed} passed, ${failed + 1} failed`);
    process.exit(1);
}

// one statement (or a transaction) on the portal's database: its rows
// unaligned, and no NOTICE lines on stderr
export function psql(sql) {
    return execFileSync('psql', ['-X', '-q', '-t', '-A', '-v',
                                 'ON_ERROR_STOP=1', '-h', '127.0.0.1',
                                 '-p', PG_PORT, '-U', 'heao', '-d', 'heao',
                                 '-c', sql],
                        { encoding: 'utf8',
                          env: { ...process.env,
                                 PGOPTIONS: '-c client_min_messages=warning' }
                        }).trim();
}

// test candidate t of tools/gen-demo, as it logs in
export function candidate(t) {
    const out = execFileSync(join(TOP, 'tools/gen-demo'),
                             ['--test-candidate', String(t)],
                             { encoding: 'utf8' }).trim().split(' ');

    return { t, exam_no: out[0], id_no: out[1], password: out[2],
             name: out[3] };
}

// the subquery that finds candidate c's id
export function who(c) {
    return `(select id from heao.candidate where exam_no = '${c.exam_no}')`;
}

// clears what an earlier run left of candidate c (saves, messages, the
// browse cache) and sets c.id; more is SQL for the same transaction and
// keys are more Redis keys, each followed by the id
export function reset(c, more, keys) {
    const w = who(c);

    c.id = psql(`begin;
        set local heao.purge = on;
        delete from heao.outbox where candidate_id = ${w};
        delete from heao.mailbox where candidate_id = ${w};
        delete from heao.group_state where candidate_id = ${w};
        delete from heao.save_history where candidate_id = ${w};
        ${more || ''}
        commit;
        select ${w};`).split('\n').pop();
    execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', REDIS_PORT, 'DEL',
                               `heao:b:${c.id}`, `heao:ab:${c.id}`,
                               `heao:tu:${c.id}`,
                               ...(keys || []).map((k) => k + c.id),
                               `heao:lf:e:${c.exam_no}`]);
}

// chromium, or null with a failed check "chromium starts"
export async function launch() {
    return chromium.launch(LAUNCH).catch((e) => {
        report(false, 'chromium starts', e.message);
        return null;
    });
}

// problems the page itself reports: script errors, CSP refusals
export function watch(page, problems) {
    page.on('pageerror', (e) => problems.push('pageerror: ' + e.message));
    page.on('console', (msg) => {
        const text = msg.text();

        if (msg.type() === 'error' && !/^Failed to load resource/.test(text)) {
            problems.push('console: ' + text);
        }
    });
}

// a page of its own context in Chinese and Beijing time, watched into
// problems; extra: more options of the context
export async function newPage(browser, viewport, problems, extra) {
    const context = await browser.newContext({ viewport, locale: 'zh-CN',
                                               timezoneId: 'Asia/Shanghai',
                                               ...extra });
    const page = await context.newPage();

    page.setDefaultTimeout(ACTION_TIMEOUT_MS);
    watch(page, problems);

    return { context, page };
}

// what the page reports and what it asks for, kept per page
export function watchStrict(page, base) {
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

// a page as newPage() makes it, but watched by watchStrict(): what it
// saw is in seen
export async function newStrictPage(browser, viewport) {
    const context = await browser.newContext({ viewport,
                                               locale: 'zh-CN',
                                               timezoneId: 'Asia/Shanghai' });
    const page = await context.newPage();

    page.setDefaultTimeout(ACTION_TIMEOUT_MS);

    return { context, page, seen: watchStrict(page, new URL(BASE)) };
}

// candidate c logs in through the form and reaches the home page
export async function login(page, c) {
    await page.goto(BASE + 'index.html');
    await page.fill('#exam_no', c.exam_no);
    await page.fill('#id_no', c.id_no);
    await page.fill('#password', c.password);
    await page.click('#login-btn');
    await page.waitForURL(/home\.html/);
}

// a screenshot in t/artifacts/: of the element selector, else of the
// whole page
export async function shot(page, name, selector) {
    if (selector) {
        await page.locator(selector).screenshot({
            path: join(ARTIFACTS, name) });

    } else {
        await page.screenshot({ path: join(ARTIFACTS, name),
                                fullPage: true });
    }
}

export async function noSideScroll(page) {
    const [sw, iw] = await page.evaluate(() => [
        document.documentElement.scrollWidth, window.innerWidth]);

    if (sw > iw) {
        throw new Error(`page is ${sw}px wide in a ${iw}px window`);
    }
}

// a code typed into a field of the fill page, as a candidate would
export async function typeCode(page, sel, value) {
    await page.fill(sel, '');
    await page.type(sel, value);
}

// wait until the name beside the field sel starts with want
export async function waitName(page, sel, want) {
    await page.waitForFunction(([s, w]) => {
        const o = document.querySelector(s);
        return o && o.textContent.trim().startsWith(w);
    }, [sel + '-name', want]);
}

// the batch named name from /api/batches; it must be open
export async function batchOf(name) {
    const res = await fetch(BASE + 'api/batches');
    const data = await res.json();
    const b = (data.batches || []).find((x) => x.name === name);

    if (!b || !b.open) {
        throw new Error(`${name} is not an open batch`);
    }

    return b;
}

let axeSource = null;

// axe-core (node_modules/axe-core) in the page, evaluated by playwright
// outside the page's CSP; once a page
export async function injectAxe(page) {
    if (!await page.evaluate(() => typeof window.axe === 'object')) {
        axeSource = axeSource || readFileSync(
            join(TOP, 'node_modules/axe-core/axe.min.js'), 'utf8');
        await page.evaluate(axeSource);
    }
}
