// heao: the plan query (计划查询, F18) of the fill page in a real browser.
//
// A 对口 candidate opens 对口本科, clicks 选择院校 beside slot 1,
// searches the list, pages through it (next, previous, jump), opens an
// institution to its majors with plan count and tuition, chooses a major
// that fills the slot (institution, major 1 and its name), checks (F17)
// and saves.
// A 专升本 candidate chooses an institution alone for 专升本 and saves.
// An art candidate on 艺术本科A段（非美术和书法类） is offered
// 专业调剂 only for a major of a 专业组 (F7).
//
// Takes test candidates 1720 (对口), 1721 (专升本) and 1722 (艺术): sets
// their type and clears what an earlier run left, so each run starts from
// no save.
// Environment:
//   BASE_URL      site root, e.g. http://127.0.0.1:8080/
//   PG_PORT       the portal's PostgreSQL (15433)
//   CHROMIUM      optional: the browser (/usr/bin/chromium)
// Prints TAP; the last line is "N passed, M failed"; exits 1 on any
// failure.

import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const TOP = resolve(HERE, '../..');
const BASE = (process.env.BASE_URL || '').replace(/\/?$/, '/');
const PG_PORT = process.env.PG_PORT || '15433';
const ACTION_TIMEOUT_MS = 10000;
const VIEWPORT = { width: 1280, height: 900 };

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
            console.log(String(detail).split('\n').slice(0, 6)
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
                        { encoding: 'utf8',
                          env: { ...process.env,
                                 PGOPTIONS: '-c client_min_messages=warning' }
                        }).trim();
}

// test candidate t of the demo year, of type ctype, with no save
function candidate(t, ctype) {
    const [examNo, idNo, password] = execFileSync(
        resolve(TOP, 'tools/gen-demo'), ['--test-candidate', String(t)],
        { encoding: 'utf8' }).trim().split(/\s+/);
    const who = `(select id from heao.candidate where exam_no = '${examNo}')`;

    psql(`begin;
          set local heao.purge = on;
          delete from heao.outbox where candidate_id = ${who};
          delete from heao.mailbox where candidate_id = ${who};
          delete from heao.group_state where candidate_id = ${who};
          delete from heao.save_history where candidate_id = ${who};
          update heao.candidate
             set ctype = '${ctype}', shixin = false, qualifications = '{}',
                 ethnicity = '汉族', language = '英语',
                 pw_office_set = false
           where exam_no = '${examNo}';
          commit;`);

    return { examNo, idNo, password };
}

async function login(page, c) {
    await page.goto(BASE + 'index.html');
    await page.fill('#exam_no', c.examNo);
    await page.fill('#id_no', c.idNo);
    await page.fill('#password', c.password);
    await page.press('#password', 'Enter');
    await page.waitForURL(/home\.html/);
}

async function openFill(page, batch) {
    await page.goto(BASE + 'home.html');
    await page.click(`#batch-${batch} a[href^="notice.html"]`);
    await page.waitForURL(/notice\.html/);
    await page.check('#accept');
    await page.click('#agree');
    await page.waitForURL(/fill\.html/);
    await page.waitForSelector('#f-0-0-inst');
}

// what the logged-in page's own session gets from the API
async function api(page, path) {
    return page.evaluate(async (p) => {
        const r = await fetch(p, { headers: { Accept: 'application/json' } });
        return { status: r.status, data: await r.json() };
    }, path);
}

async function duikou(browser, problems) {
    const c = candidate(1720, '对口');
    const context = await browser.newContext({ viewport: VIEWPORT,
                                               locale: 'zh-CN' });
    const page = await context.newPage();
    let first = null;
    let major = null;

    page.setDefaultTimeout(ACTION_TIMEOUT_MS);
    page.on('pageerror', (e) => problems.push('pageerror: ' + e.message));

    await check('F18 对口本科: the fill page offers 选择院校 on '
                + 'every slot',
                async () => {
        await login(page, c);
        await openFill(page, '60');
        equal(await page.locator('button.pick').count(), 6, 'buttons');
    });

    await check('F18 the plan query lists institutions page by page',
                async () => {
        const r = await api(page, '/api/plan/60?size=10');
        equal(r.status, 200, 'status');
        first = r.data.institutions[0];
        await page.click('#f-0-0-inst-pick');
        await page.waitForSelector('#plan-dialog[open]');
        await page.waitForSelector(
            `#plan-list button[data-code="${first.code}"]`);
        equal(await page.locator('#plan-list > li').count(),
              Math.min(10, r.data.total), 'rows');
        contains(await page.textContent('#plan-pages'),
                 `共${r.data.pages}页，${r.data.total}所院校`, 'pages');
    });

    await check('F18 next, previous and jump to a page', async () => {
        await page.click('#plan-next');
        await page.waitForFunction(() =>
            document.querySelector('#plan-page').value === '2');
        await page.click('#plan-prev');
        await page.waitForFunction(() =>
            document.querySelector('#plan-page').value === '1');
        await page.fill('#plan-page', '3');
        await page.click('#plan-jump');
        await page.waitForFunction(() =>
            document.querySelector('#plan-page').value === '3');
    });

    await check('F18 searched by name: the institution is found', async () => {
        await page.fill('#plan-q', first.name);
        await page.press('#plan-q', 'Enter');
        await page.waitForFunction((code) => {
            const l = document.querySelectorAll('#plan-list > li');
            return l.length >= 1
                   && l[0].querySelector(`button[data-code="${code}"]`);
        }, first.code);
        contains(await page.textContent('#plan-list'), first.name, 'name');
    });

    await check('F18 opening it lists majors with plan count and tuition',
                async () => {
        const r = await api(page, `/api/plan/60/${first.code}`);
        equal(r.status, 200, 'status');
        major = r.data.majors[0];
        await page.click(`#plan-list button[data-code="${first.code}"]`);
        await page.waitForSelector('.plan-table');
        const text = await page.textContent('.plan-table');
        contains(text, major.name, 'major');
        contains(text, String(major.tuition), 'tuition');
        contains(text, '计划数', 'plan column');
    });

    await check('F18 choosing a major fills the slot and closes the dialog',
                async () => {
        await page.click(`.plan-table button[data-major="${major.code}"]`);
        await page.waitForSelector('#plan-dialog', { state: 'hidden' });
        equal(await page.inputValue('#f-0-0-inst'), first.code, 'inst');
        equal(await page.inputValue('#f-0-0-m0'), major.code, 'major 1');
        await page.waitForFunction(([sel, w]) => document.querySelector(sel)
                                   .textContent.startsWith(w),
                                   ['#f-0-0-m0-name', major.name]);
    });

    await check('F17 the chosen application passes the check', async () => {
        await page.check('#f-0-0-adj-agree');
        await page.click('#check');
        await page.waitForSelector('#status.status-ok');
        contains(await page.textContent('#status'), '检查通过', 'status');
    });

    await check('F14 and it is saved', async () => {
        await page.click('#save');
        await page.waitForURL(/browse\.html/);
        await page.waitForFunction((w) => document.querySelector('#groups')
                                   .textContent.includes(w), first.name);
    });

    await context.close();
}

async function zhuanshengben(browser, problems) {
    const c = candidate(1721, '专升本');
    const context = await browser.newContext({ viewport: VIEWPORT,
                                               locale: 'zh-CN' });
    const page = await context.newPage();
    let first = null;

    page.setDefaultTimeout(ACTION_TIMEOUT_MS);
    page.on('pageerror', (e) => problems.push('pageerror: ' + e.message));

    await check('F18 专升本: an institution alone is chosen from the list',
                async () => {
        await login(page, c);
        await openFill(page, '70');
        const r = await api(page, '/api/plan/70?size=10&page=2');
        first = r.data.institutions[0];
        await page.click('#f-0-0-inst-pick');
        await page.waitForSelector('#plan-dialog[open]');
        await page.fill('#plan-page', '2');
        await page.click('#plan-jump');
        await page.click(
            `#plan-list button.plan-choose[data-inst="${first.code}"]`);
        await page.waitForSelector('#plan-dialog', { state: 'hidden' });
        equal(await page.inputValue('#f-0-0-inst'), first.code, 'inst');
        await page.waitForFunction(([sel, w]) => document.querySelector(sel)
                                   .textContent.startsWith(w),
                                   ['#f-0-0-inst-name', first.name]);
    });

    await check('F14 专升本 saved with the chosen institution', async () => {
        await page.click('#save');
        await page.waitForURL(/browse\.html/);
        await page.waitForFunction((w) => document.querySelector('#groups')
                                   .textContent.includes(w), first.name);
    });

    await context.close();
}

async function art(browser, problems) {
    const c = candidate(1722, '艺术');
    const context = await browser.newContext({ viewport: VIEWPORT,
                                               locale: 'zh-CN' });
    const page = await context.newPage();
    const [inst, grouped, loose] = psql(`
        select g.inst_code || '|' || g.code || '|' || n.code
          from heao.major g join heao.major n using (batch_code, inst_code)
         where batch_code = 'YA2' and g.major_group = '1'
           and n.major_group is null and g.restrictions = '{}'
           and n.restrictions = '{}'
         order by g.inst_code, g.code, n.code limit 1`).split('|');
    const enabled = (id) => page.isEnabled(id);

    page.setDefaultTimeout(ACTION_TIMEOUT_MS);
    page.on('pageerror', (e) => problems.push('pageerror: ' + e.message));

    await check('F7 art: a major of a 专业组 is offered 专业调剂',
                async () => {
        await login(page, c);
        await openFill(page, 'YA2');
        contains(await page.textContent('#f-0-0-adj legend'),
                 '仅适用于专业组内的专业', 'legend');
        await page.fill('#f-0-0-inst', inst);
        await page.type('#f-0-0-m0', grouped);
        await page.waitForFunction(() => document.querySelector(
            '#f-0-0-m0-name').textContent.includes('（专业组1）'));
        await page.waitForFunction(() => !document.querySelector(
            '#f-0-0-adj-agree').disabled);
        await page.check('#f-0-0-adj-agree');
    });

    await check('F7 art: a major of no group takes no choice, and the '
                + 'choice made is cleared', async () => {
        await page.fill('#f-0-0-m0', '');
        await page.type('#f-0-0-m0', loose);
        await page.waitForFunction(() => document.querySelector(
            '#f-0-0-adj-agree').disabled);
        equal(await page.isChecked('#f-0-0-adj-agree'), false, 'agree');
        equal(await enabled('#f-0-0-adj-disagree'), false, 'disagree');
        await page.click('#check');
        await page.waitForSelector('#status.status-ok');
    });

    await context.close();
}

async function main() {
    const problems = [];
    let browser = null;

    console.log('TAP version 13');

    if (!BASE.startsWith('http')) {
        report(false, 'environment', 'set BASE_URL');

    } else {
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
            await duikou(browser, problems);
            await zhuanshengben(browser, problems);
            await art(browser, problems);
            report(problems.length === 0, 'no script error on any page',
                   problems.join('\n'));

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
