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

import {
    ACTION_TIMEOUT_MS, BASE, DESKTOP, candidate, check, contains, crashed,
    equal, finish, launch, noProblems, psql, report, who
} from './lib.mjs';

// test candidate t of the demo year, of type ctype, with no save
function ofType(t, ctype) {
    const c = candidate(t);
    const w = who(c);

    psql(`begin;
          set local heao.purge = on;
          delete from heao.outbox where candidate_id = ${w};
          delete from heao.mailbox where candidate_id = ${w};
          delete from heao.group_state where candidate_id = ${w};
          delete from heao.save_history where candidate_id = ${w};
          update heao.candidate
             set ctype = '${ctype}', shixin = false, qualifications = '{}',
                 ethnicity = '汉族', language = '英语',
                 pw_office_set = false
           where exam_no = '${c.exam_no}';
          commit;`);

    return c;
}

// a desktop page of its own; only script errors go to problems
async function open(browser, problems) {
    const context = await browser.newContext({ viewport: DESKTOP,
                                               locale: 'zh-CN' });
    const page = await context.newPage();

    page.setDefaultTimeout(ACTION_TIMEOUT_MS);
    page.on('pageerror', (e) => problems.push('pageerror: ' + e.message));

    return { context, page };
}

async function login(page, c) {
    await page.goto(BASE + 'index.html');
    await page.fill('#exam_no', c.exam_no);
    await page.fill('#id_no', c.id_no);
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
    const c = ofType(1720, '对口');
    const { context, page } = await open(browser, problems);
    let first = null;
    let major = null;

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
    const c = ofType(1721, '专升本');
    const { context, page } = await open(browser, problems);
    let first = null;

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
    const c = ofType(1722, '艺术');
    const { context, page } = await open(browser, problems);
    const [inst, grouped, loose] = psql(`
        select g.inst_code || '|' || g.code || '|' || n.code
          from heao.major g join heao.major n using (batch_code, inst_code)
         where batch_code = 'YA2' and g.major_group = '1'
           and n.major_group is null and g.restrictions = '{}'
           and n.restrictions = '{}'
         order by g.inst_code, g.code, n.code limit 1`).split('|');
    const enabled = (id) => page.isEnabled(id);

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
        browser = await launch();
    }

    if (browser) {
        try {
            await duikou(browser, problems);
            await zhuanshengben(browser, problems);
            await art(browser, problems);
            noProblems(problems, 'no script error on any page');

        } finally {
            await browser.close();
        }
    }

    finish();
}

main().catch(crashed);
