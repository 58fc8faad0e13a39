// heao: the fill page's promises for the last hour (issue 6), each
// proven in a real browser at a phone-sized window:
//   - the countdown is visible, and at 5 minutes left it turns to a
//     warning and says so to screen readers (the page's clock is moved on
//     with playwright's clock, not waited for);
//   - 检查 puts each error beside the field the server named, in the
//     server's own words (the dry run's answer read off the wire);
//   - 上移, 下移 and 插入 move a slot's contents, and 插入 is refused
//     while the last slot is filled;
//   - 重新填写 asks first: 取消 keeps the form, 确定清空 empties it;
//   - a save with no fill session behind it (F13) says so and leads to
//     the notice, without ending the countdown as a session run out;
//   - a reload offers the local draft back, marked as not saved, and the
//     form shows the saved application until it is restored;
//   - when the time is up, saving stops and the typing stays as a draft;
//   - each of those states passes axe's colour contrast.
//
// Test candidate 1902, reset here.  Environment: BASE_URL, PG_PORT,
// REDIS_PORT; CHROMIUM optional.  Screenshots go to t/artifacts/ux-*.png.
// Prints TAP; exits 1 on any failure.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import {
    ARTIFACTS, BASE, REDIS_PORT, SMALL_PHONE, batchOf, candidate, check,
    contains, crashed, equal, finish, injectAxe, launch, login,
    newStrictPage, report, reset, setDetailLines, shot, typeCode, waitName
} from './lib.mjs';

const BATCH_NAME = '本科一批';
const INST = '1105';
const MAJORS = ['07', '11'];
// the field paths of the dry run's errors, as docs/API.md has them
const FIELD_RE = new RegExp('^application\\.sections\\[(\\d+)\\]'
    + '\\.slots\\[(\\d+)\\]'
    + '(?:\\.(institution|adjust|majors\\[(\\d+)\\]))?$');

// 12 lines of a failure's detail, not 6: a page's errors come in lists
setDetailLines(12);

async function contrast(page) {
    await injectAxe(page);

    const bad = await page.evaluate(async () => {
        const r = await window.axe.run(document, {
            runOnly: { type: 'rule', values: ['color-contrast'] },
            resultTypes: ['violations']
        });

        return r.violations.flatMap((v) => v.nodes.map((x) =>
            x.target.join(' ') + ' ' + (x.failureSummary || '')
            .replace(/\s+/g, ' ').slice(0, 160)));
    });

    if (bad.length) {
        throw new Error('contrast: ' + bad.join('\n'));
    }
}

// the slot's institution, majors and adjustment as the form holds them
async function slot(page, j) {
    return page.evaluate((k) => {
        const v = (id) => {
            const e = document.getElementById(id);
            return e ? e.value : null;
        };
        const adj = document.querySelector(
            `input[name="f-0-${k}-adj"]:checked`);

        return [v(`f-0-${k}-inst`), v(`f-0-${k}-m0`), v(`f-0-${k}-m1`),
                adj ? adj.value : null].join('|');
    }, j);
}

// clicks a button of the 重新填写 dialog and returns once the page has
// handled its close event: the event comes in a task of its own after the
// dialog loses [open], and the page clears the form in it
async function answerDialog(page, button) {
    await page.evaluate(() => {
        const dlg = document.getElementById('reset-dialog');

        window.heaoDialogClosed = new Promise((done) => {
            dlg.addEventListener('close', () => done(), { once: true });
        });
    });
    await page.click(button);
    await page.evaluate(() => window.heaoDialogClosed);
}

// a command to the portal's Redis on the session of the page's cookie
async function sessionRedis(context, ...args) {
    const sid = (await context.cookies()).find((k) => k.name === 'heao_sid');

    if (!sid) {
        throw new Error('no heao_sid cookie');
    }

    const key = 'heao:s:' + createHash('sha256').update(sid.value)
                                                 .digest('hex');

    return execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', REDIS_PORT,
                                      args[0], key, ...args.slice(1)],
                        { encoding: 'utf8' }).trim();
}

async function ux(browser, c, batch, inst) {
    const { context, page, seen } = await newStrictPage(browser,
                                                        SMALL_PHONE);
    const last = batch.shape.sections[0].slots - 1;
    const full = `${INST}|${MAJORS[0]}|${MAJORS[1]}|agree`;

    // the page's clock runs from now and can be moved on
    await context.clock.install();

    await login(page, c);
    await page.goto(BASE + 'notice.html?batch='
                    + encodeURIComponent(batch.code));
    await page.check('#accept');
    await page.click('#agree');
    await page.waitForURL(/fill\.html/);
    await page.waitForSelector('#f-0-0-inst');

    await check('the countdown is visible and not yet a warning', async () => {
        equal(await page.isVisible('#timer'), true, 'visible');
        const t = (await page.textContent('#timer')).trim();

        if (!/^\d\d:\d\d$/.test(t) || Number(t.slice(0, 2)) < 6) {
            throw new Error('countdown: ' + t);
        }

        equal(await page.evaluate(() => document.getElementById('timerbar')
                                  .classList.contains('warn')), false,
              'warn');
    });

    await check('the errors of 检查 stand beside their fields in the '
                + "server's words", async () => {
        // 专业2 without 专业1 (F4) and no adjustment choice (F7)
        await typeCode(page, '#f-0-0-inst', INST);
        await waitName(page, '#f-0-0-inst', inst.name);
        await typeCode(page, '#f-0-0-m1', MAJORS[1]);
        const [res] = await Promise.all([
            page.waitForResponse((r) => /\/api\/fill\/[^/]+\/check$/
                                 .test(r.url())),
            page.click('#check')
        ]);
        const data = await res.json();
        const errs = (data.errors || []).filter((e) => e.field);

        if (!errs.length) {
            throw new Error('the dry run named no field: '
                            + JSON.stringify(data).slice(0, 200));
        }

        await page.waitForSelector('#summary:not([hidden])');

        for (const e of errs) {
            const m = FIELD_RE.exec(e.field);

            if (!m) {
                throw new Error('unexpected field ' + e.field);
            }

            const base = `#f-${m[1]}-${m[2]}`;
            const id = m[3] === 'institution' ? base + '-inst-err'
                       : m[4] !== undefined ? `${base}-m${m[4]}-err`
                       : m[3] === 'adjust' ? base + '-adj-err'
                       : base + '-err';

            equal(await page.isVisible(id), true, id + ' shown');
            contains(await page.textContent(id), e.message, id);
            contains(await page.textContent('#summary'), e.message,
                     'summary');
        }

        await shot(page, 'ux-errors.png');
        await contrast(page);
    });

    await check('上移, 下移 and 插入 move the contents of a slot',
                async () => {
        await typeCode(page, '#f-0-0-m1', '');
        await typeCode(page, '#f-0-0-m0', MAJORS[0]);
        await typeCode(page, '#f-0-0-m1', MAJORS[1]);
        await page.check('#f-0-0-adj-agree');
        equal(await page.isVisible('#f-0-0-up'), false, 'no 上移 on 1');

        await page.click('#f-0-0-down');
        equal(await slot(page, 0), '|||', 'slot 1 after 下移');
        equal(await slot(page, 1), full, 'slot 2 after 下移');
        await waitName(page, '#f-0-1-inst', inst.name);
        equal(await page.evaluate(() => document.activeElement.id),
              'f-0-1-down', 'focus follows');

        await page.click('#f-0-1-up');
        equal(await slot(page, 0), full, 'slot 1 after 上移');
        equal(await slot(page, 1), '|||', 'slot 2 after 上移');

        await page.click('#f-0-0-insert');
        equal(await slot(page, 0), '|||', 'slot 1 after 插入');
        equal(await slot(page, 1), full, 'slot 2 after 插入');
        await waitName(page, '#f-0-1-inst', inst.name);
        equal(await page.isChecked('#f-0-1-adj-agree'), true, 'adjust kept');
        equal(await page.isDisabled('#f-0-0-adj-agree'), true,
              'empty slot has no adjustment');
    });

    await check('插入 is refused while the last slot is filled', async () => {
        await typeCode(page, `#f-0-${last}-inst`, INST);
        await page.click('#f-0-0-insert');
        contains(await page.textContent('#status'), '无法插入', 'status');
        equal(await slot(page, 1), full, 'slot 2 unchanged');
        equal(await page.inputValue(`#f-0-${last}-inst`), INST, 'last kept');
        await typeCode(page, `#f-0-${last}-inst`, '');
        await shot(page, 'ux-moved.png');
    });

    await check('a reload offers the draft back marked as not saved',
                async () => {
        await page.reload();
        await page.waitForSelector('#draft:not([hidden])');
        contains(await page.textContent('#draft'), '未保存', 'banner');
        contains(await page.textContent('#draft'), '不会生效', 'warning');
        equal(await slot(page, 1), '|||', 'form shows the saved one');
        await contrast(page);
        await page.click('#draft-restore');
        equal(await slot(page, 1), full, 'restored');
        equal(await page.isVisible('#dirty'), true, 'marked 未保存');
        contains(await page.textContent('#dirty'), '尚未保存',
                 'dirty text');
    });

    await check('重新填写 asks first: 取消 keeps, 确定清空 empties',
                async () => {
        await page.click('#reset');
        await page.waitForSelector('#reset-dialog[open]');
        await contrast(page);
        await answerDialog(page, '#reset-cancel');
        equal(await slot(page, 1), full, 'kept after 取消');
        await page.click('#reset');
        await page.waitForSelector('#reset-dialog[open]');
        await answerDialog(page, '#reset-confirm');
        equal(await slot(page, 1), '|||', 'emptied after 确定清空');
    });

    await check('F13 a save with no fill session leads to the notice, '
                + 'the countdown going on', async () => {
        const field = 'f:' + batch.code;
        const end = await sessionRedis(context, 'HGET', field);

        if (!/^\d+$/.test(end)) {
            throw new Error('no fill session in the session: ' + end);
        }

        await sessionRedis(context, 'HDEL', field);

        try {
            const [res] = await Promise.all([
                page.waitForResponse((r) => /\/api\/fill\/[^/]+\/save$/
                                     .test(r.url())),
                page.click('#save')
            ]);
            const data = await res.json();

            equal(res.status() + ' ' + data.error, '409 fill_not_begun',
                  'answer');
            await page.waitForSelector('#summary:not([hidden])');
            contains(await page.textContent('#summary'), data.message,
                     'summary');
            equal(await page.getAttribute('#summary a', 'href'),
                  'notice.html?batch=' + encodeURIComponent(batch.code),
                  'link to the notice');
            equal(await page.evaluate(() => document
                  .getElementById('timerbar').classList.contains('ended')),
                  false, 'countdown not ended');
            equal(await page.isDisabled('#save'), false, 'save still on');
            await contrast(page);

        } finally {
            await sessionRedis(context, 'HSET', field, end);
        }
    });

    await check('at 5 minutes left the countdown warns, visibly and aloud',
                async () => {
        await context.clock.fastForward('25:05');
        await page.waitForSelector('#timerbar.warn');
        const t = (await page.textContent('#timer')).trim();

        if (!/^0[0-4]:\d\d$/.test(t)) {
            throw new Error('countdown: ' + t);
        }

        contains(await page.textContent('#timer-alert'), '5分钟', 'alert');
        await shot(page, 'ux-warn.png');
        await contrast(page);
    });

    await check('when the time is up saving stops and the typing is kept '
                + 'as a draft', async () => {
        await typeCode(page, '#f-0-0-inst', INST);
        await waitName(page, '#f-0-0-inst', inst.name);
        await context.clock.fastForward('05:00');
        await page.waitForSelector('#timerbar.ended');
        equal((await page.textContent('#timer')).trim(), '00:00', 'timer');
        equal(await page.isDisabled('#save'), true, 'save off');
        contains(await page.textContent('#summary'), '草稿', 'summary');
        const kept = await page.evaluate(() => Object.keys(localStorage)
            .map((k) => localStorage.getItem(k))
            .some((v) => v.includes('"institution":"1105"')));
        equal(kept, true, 'draft in localStorage');
        await shot(page, 'ux-ended.png');
        await contrast(page);
    });

    await check('no console error on the fill page', () => {
        if (seen.problems.length || seen.foreign.length) {
            throw new Error(seen.problems.concat(seen.foreign).join('\n'));
        }
    });

    await check('V8.2.3 安全退出 leaves no draft and no CSRF token in the '
                + 'browser', async () => {
        const stored = () => page.evaluate((examNo) => ({
            drafts: Object.keys(localStorage)
                .filter((k) => k.includes(examNo)).length,
            session: sessionStorage.length
        }), c.exam_no);
        const before = await stored();

        equal(before.drafts > 0 && before.session > 0, true,
              'a draft and a token before: ' + JSON.stringify(before));
        await page.click('#logout');
        await page.waitForURL(/\/index\.html$/);
        equal(JSON.stringify(await stored()),
              JSON.stringify({ drafts: 0, session: 0 }), 'after');
    });

    await context.close();
}

async function main() {
    let browser = null;
    let batch = null;
    let inst = null;
    const c = candidate(1902);

    console.log('TAP version 13');
    mkdirSync(ARTIFACTS, { recursive: true });

    if (!BASE.startsWith('http')) {
        report(false, 'environment', 'set BASE_URL');

    } else if (await check(`${BATCH_NAME} is open with ${INST}; candidate `
                           + '1902 reset', async () => {
                               reset(c);
                               batch = await batchOf(BATCH_NAME);
                               const r = await fetch(BASE + 'api/catalog/'
                                   + `${batch.code}/${INST}`);
                               equal(r.status, 200, 'catalog');
                               inst = await r.json();
                           }))
    {
        browser = await launch();
    }

    if (browser) {
        try {
            await ux(browser, c, batch, inst);

        } finally {
            await browser.close();
        }
    }

    finish();
}

main().catch(crashed);
