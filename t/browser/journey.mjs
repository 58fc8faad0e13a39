// heao: the candidate's journey through the pages in a real browser.
//
// Logs in (A1, keyboard only), accepts the notice (F13), fills three slots
// of 本科一批 with names shown as codes are typed (F2), checks (F17), saves,
// browses (V1: names, adjustment choices, checksum, changes left), prints
// (V2), and is refused a second fill within the hour with the time (F12).
// A phone-width run (375x812) covers the same pages on a small screen.
//
// Needs a fresh candidate (no save yet) and the login captcha switched off
// (heao_captcha off).  Environment:
//   BASE_URL      site root, e.g. http://127.0.0.1:8080/
//   EXAM_NO ID_NO PASSWORD   the candidate
//   FILL_INSTS    optional: two institution codes for slots 2 and 3
//   BATCH_NAME    optional: the batch to fill (本科一批)
//   CHROMIUM      optional: the browser (/usr/bin/chromium)
// Screenshots go to t/artifacts/.  Prints TAP; the last line is
// "N passed, M failed"; exits 1 on any failure.

import { mkdirSync } from 'node:fs';
import {
    ARTIFACTS, BASE, DESKTOP, PHONE, check, contains, crashed, equal,
    finish, launch, newPage, noProblems, noSideScroll, report, shot,
    typeCode, waitName
} from './lib.mjs';

const EXAM_NO = process.env.EXAM_NO || '';
const ID_NO = process.env.ID_NO || '';
const PASSWORD = process.env.PASSWORD || '';
const BATCH_NAME = process.env.BATCH_NAME || '本科一批';
const FIRST_INST = '1105';
const FIRST_MAJORS = ['07', '11', '04'];
const TIME_RE = /\d{4}年\d{2}月\d{2}日 \d{2}:\d{2}:\d{2}/;

// Henan institution codes of the 2017 catalog after 1105: tried in turn
// when FILL_INSTS is not given, until two answer in the batch's catalog
const PROBE = ['1110', '1115', '1120', '1125', '1130', '1135', '1140', '1145',
               '1150', '1155', '1160', '1165', '1170', '1175', '1180', '1185',
               '1190', '1195', '1200', '1205', '1210', '1215', '1220', '1225',
               '1230', '1235', '1240', '1245', '1250', '1255', '1260', '1265',
               '1270', '1275', '1280', '1285', '1290', '1295', '1300', '1106',
               '1113', '1121', '1131'];

async function getJson(path) {
    const res = await fetch(BASE + path.replace(/^\//, ''));
    return { status: res.status, data: await res.json().catch(() => ({})) };
}

// A1 by keyboard alone: type, Tab, type, Tab, type, Enter
async function login(page) {
    await page.goto(BASE + 'index.html');
    await page.focus('#exam_no');
    await page.keyboard.type(EXAM_NO);
    await page.keyboard.press('Tab');
    await page.keyboard.type(ID_NO);
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await page.waitForURL(/home\.html/);
}

async function openFill(page, batch) {
    await page.goto(BASE + 'home.html');
    await page.click(`#batch-${batch.code} a[href^="notice.html"]`);
    await page.waitForURL(/notice\.html/);
    await page.check('#accept');
    await page.click('#agree');
}

// wait until the element's text holds part (pages fill in as answers come)
async function waitText(page, sel, part) {
    await page.waitForFunction(([s, w]) => {
        const e = document.querySelector(s);
        return e && e.textContent.includes(w);
    }, [sel, part]);
}

async function nameOf(page, id) {
    return (await page.textContent(id + '-name')).trim();
}

// the batch to fill and three institutions of its catalog
async function plan() {
    const out = {};
    const rb = await getJson('/api/batches');

    if (rb.status !== 200) {
        throw new Error('GET /api/batches answered ' + rb.status);
    }

    out.batch = (rb.data.batches || []).find((b) => b.name === BATCH_NAME);

    if (!out.batch) {
        throw new Error(`no batch named ${BATCH_NAME}`);
    }

    if (!out.batch.open) {
        throw new Error(`${BATCH_NAME} is not open`);
    }

    const cat = async (code) => {
        const r = await getJson(`/api/catalog/${out.batch.code}/${code}`);
        return r.status === 200 ? r.data : null;
    };

    out.first = await cat(FIRST_INST);

    if (!out.first) {
        throw new Error(`${FIRST_INST} is not in ${BATCH_NAME}'s catalog`);
    }

    out.firstMajors = FIRST_MAJORS.map((c) => {
        const m = out.first.majors.find((x) => x.code === c);

        if (!m) {
            throw new Error(`${FIRST_INST} has no major ${c}`);
        }

        return m;
    });

    out.others = [];

    const codes = process.env.FILL_INSTS
                  ? process.env.FILL_INSTS.split(/[\s,]+/).filter(Boolean)
                  : PROBE;

    for (const code of codes) {
        if (out.others.length === 2) {
            break;
        }

        const c = code === FIRST_INST ? null : await cat(code);

        if (c) {
            /* F9: a major any test candidate may choose */
            const ordinary = c.majors.filter((m) => m.class === 'ordinary'
                && Object.keys(m.restrictions || {}).length === 0);
            c.pick = (ordinary.length ? ordinary : c.majors)[0] || null;
            out.others.push(c);
        }
    }

    if (out.others.length < 2) {
        throw new Error('found fewer than two other institutions; '
                        + 'set FILL_INSTS');
    }

    return out;
}

async function phoneFill(browser, p, problems) {
    const { context, page } = await newPage(browser, PHONE, problems);

    await check('phone: entry page fits 375px and lists the batches',
                async () => {
        await page.goto(BASE + 'index.html');
        await page.waitForSelector('#batches table');
        contains(await page.textContent('#batches'), BATCH_NAME, 'batches');
        await shot(page, 'phone-index.png');
        await noSideScroll(page);
    });

    await check('phone: login by keyboard reaches the home page', async () => {
        await login(page);
        await page.waitForSelector(`#batch-${p.batch.code}`);
        await shot(page, 'phone-home.png');
        await noSideScroll(page);
    });

    await check('phone: F13 the fill page shows the countdown and fits',
                async () => {
        await openFill(page, p.batch);
        await page.waitForURL(/fill\.html/);
        await page.waitForSelector('#f-0-0-inst');
        await typeCode(page, '#f-0-0-inst', FIRST_INST);
        await waitName(page, '#f-0-0-inst', p.first.name);
        await typeCode(page, '#f-0-0-m0', FIRST_MAJORS[0]);
        await waitName(page, '#f-0-0-m0', p.firstMajors[0].name);
        await page.check('#f-0-0-adj-agree');
        if (!/\d\d:\d\d/.test(await page.textContent('#timer'))) {
            throw new Error('no countdown');
        }
        await shot(page, 'phone-fill.png');
        await noSideScroll(page);
    });

    await context.close();
}

async function desktopJourney(browser, p, problems) {
    const { context, page } = await newPage(browser, DESKTOP, problems);
    const [i2, i3] = p.others;

    await check('A1 entry page shows the batches with their windows',
                async () => {
        await page.goto(BASE + 'index.html');
        await page.waitForSelector('#batches table');
        const text = await page.textContent('#batches');
        contains(text, BATCH_NAME, 'batches');
        contains(text, '正在填报', 'open state');
        await shot(page, 'index.png');
    });

    await check('A1 empty login form is refused beside each field',
                async () => {
        await page.click('#login-btn');
        await page.waitForSelector('#exam_no-err:not([hidden])');
        equal(await page.getAttribute('#exam_no', 'aria-invalid'), 'true',
              'exam_no aria-invalid');
        equal(await page.isVisible('#id_no-err'), true, 'id_no error');
        equal(await page.isVisible('#password-err'), true, 'password error');
        equal(await page.isVisible('#login-summary'), true, 'summary');
    });

    await check('A1 an ID number with a wrong check character is refused '
                + 'before sending', async () => {
        const last = ID_NO.slice(-1) === '0' ? '1' : '0';
        await page.fill('#exam_no', EXAM_NO);
        await page.fill('#id_no', ID_NO.slice(0, 17) + last);
        await page.fill('#password', PASSWORD);
        await page.click('#login-btn');
        await page.waitForSelector('#id_no-err:not([hidden])');
        contains(await page.textContent('#id_no-err'), '校验', 'message');
        equal(page.url().includes('index.html'), true, 'stays');
    });

    await check('A1 login by keyboard alone reaches the home page',
                async () => {
        await login(page);
        await page.waitForSelector(`#batch-${p.batch.code}`);
        contains(await page.textContent('#welcome'), EXAM_NO, 'who');
        await shot(page, 'home.png');
    });

    await check('F13 the notice must be ticked before 同意', async () => {
        await page.click(`#batch-${p.batch.code} a[href^="notice.html"]`);
        await page.waitForURL(/notice\.html/);
        await waitText(page, 'h1', BATCH_NAME);
        await page.click('#agree');
        await page.waitForSelector('#accept-err:not([hidden])');
        await shot(page, 'notice.png');
    });

    await check('F13 accepting the notice opens the fill page with the '
                + 'countdown', async () => {
        await page.focus('#accept');
        await page.keyboard.press('Space');
        await page.click('#agree');
        await page.waitForURL(/fill\.html/);
        await page.waitForSelector('#f-0-0-inst');
        await waitText(page, 'h1', BATCH_NAME);
        if (!/^\d\d:\d\d$/.test((await page.textContent('#timer')).trim())) {
            throw new Error('countdown: '
                            + await page.textContent('#timer'));
        }
        if (!/还剩\d次保存机会/.test(await page.textContent('#saves-left'))) {
            throw new Error('saves left not shown');
        }
    });

    await check('F2 names appear beside the codes as they are typed',
                async () => {
        await typeCode(page, '#f-0-0-inst', FIRST_INST);
        await waitName(page, '#f-0-0-inst', p.first.name);

        for (let k = 0; k < FIRST_MAJORS.length; k++) {
            await typeCode(page, `#f-0-0-m${k}`, FIRST_MAJORS[k]);
            await waitName(page, `#f-0-0-m${k}`, p.firstMajors[k].name);
        }
    });

    await check('F2 an unknown institution code shows 不存在', async () => {
        await typeCode(page, '#f-0-1-inst', '0000');
        await waitName(page, '#f-0-1-inst', '不存在');
        await typeCode(page, '#f-0-1-inst', '');
        equal(await nameOf(page, '#f-0-1-inst'), '', 'name cleared');
    });

    await check('F17 检查 shows the errors beside their fields and on top',
                async () => {
        // 专业5 without 专业4 (F4), and no adjustment choice yet (F7)
        await typeCode(page, '#f-0-0-m4', FIRST_MAJORS[0] === '12'
                                          ? '13' : '12');
        await page.click('#check');
        await page.waitForSelector('#summary:not([hidden])');
        const errs = await page.$$eval('#f-0-0 .err:not([hidden])',
                                       (l) => l.map((e) => e.textContent));
        if (!errs.length || errs.some((t) => !t.trim())) {
            throw new Error('no error beside the fields of 平行志愿1');
        }
        contains(await page.textContent('#summary'), errs[0].slice(0, 6),
                 'summary');
        await shot(page, 'fill-errors.png');
        await typeCode(page, '#f-0-0-m4', '');
    });

    await check('F7 clearing an institution clears its adjustment choice',
                async () => {
        await page.check('#f-0-0-adj-agree');
        await typeCode(page, '#f-0-0-inst', '');
        equal(await page.isChecked('#f-0-0-adj-agree'), false, 'agree');
        equal(await page.isDisabled('#f-0-0-adj-agree'), true, 'disabled');
        await typeCode(page, '#f-0-0-inst', FIRST_INST);
        await waitName(page, '#f-0-0-inst', p.first.name);
        // by keyboard: focus 同意 and press Space
        await page.focus('#f-0-0-adj-agree');
        await page.keyboard.press('Space');
        equal(await page.isChecked('#f-0-0-adj-agree'), true, 'agree again');
    });

    await check('F2 slots 2 and 3 with two more institutions', async () => {
        const slots = [[1, i2, 'disagree'], [2, i3, 'agree']];

        for (const [j, inst, adjust] of slots) {
            await typeCode(page, `#f-0-${j}-inst`, inst.code);
            await waitName(page, `#f-0-${j}-inst`, inst.name);

            if (inst.pick) {
                await typeCode(page, `#f-0-${j}-m0`, inst.pick.code);
                await waitName(page, `#f-0-${j}-m0`, inst.pick.name);
            }

            await page.check(`#f-0-${j}-adj-${adjust}`);
        }

        await shot(page, 'fill.png');
    });

    await check('a reload offers the unsaved draft back', async () => {
        await page.reload();
        await page.waitForSelector('#draft:not([hidden])');
        contains(await page.textContent('#draft'), '未保存的草稿', 'banner');
        equal(await page.inputValue('#f-0-0-inst'), '', 'form as saved');
        await shot(page, 'fill-draft.png');
        await page.click('#draft-restore');
        equal(await page.inputValue('#f-0-0-inst'), FIRST_INST, 'slot 1');
        equal(await page.inputValue(`#f-0-2-inst`), i3.code, 'slot 3');
        equal(await page.isChecked('#f-0-1-adj-disagree'), true, 'adjust');
        await waitName(page, '#f-0-2-inst', i3.name);
    });

    await check('重新填写 asks in a dialog; Escape keeps the form',
                async () => {
        await page.click('#reset');
        await page.waitForSelector('#reset-dialog[open]');
        await page.keyboard.press('Escape');
        await page.waitForSelector('#reset-dialog:not([open])',
                                    { state: 'attached' });
        equal(await page.inputValue('#f-0-0-m2'), FIRST_MAJORS[2], 'kept');
    });

    await check('F17 检查 passes on the finished application', async () => {
        await page.click('#check');
        await page.waitForSelector('#status.status-ok');
        contains(await page.textContent('#status'), '检查通过', 'status');
    });

    await check('F14 保存志愿 saves and goes to browse', async () => {
        await page.click('#save');
        await page.waitForURL(/browse\.html/);
        await page.waitForSelector('.group');
    });

    await check('V1 browse shows names, adjustment choices, checksum and '
                + '2 changes left', async () => {
        const text = await page.textContent('#groups');
        contains(text, BATCH_NAME, 'batch');
        contains(text, p.first.name, 'institution 1');
        contains(text, i2.name, 'institution 2');
        contains(text, i3.name, 'institution 3');

        for (const m of p.firstMajors) {
            contains(text, `${m.code} ${m.name}`, 'major');
        }

        equal(await page.locator('td.adjust-agree').count(), 2, '同意');
        equal(await page.locator('td.adjust-disagree').count(), 1, '不同意');
        equal((await page.textContent('td.adjust-disagree')).trim(), '不同意',
              'text');
        const sum = (await page.textContent('.checksum')).trim();
        if (sum.length < 4) {
            throw new Error('checksum: ' + JSON.stringify(sum));
        }
        contains(text, '还可以修改2次', 'changes left');
        contains(text, '第1次保存时间', 'save time');
        await shot(page, 'browse.png');
    });

    await check('V2 the print stylesheet hides the menus and shows the '
                + 'candidate', async () => {
        await page.emulateMedia({ media: 'print' });
        equal(await page.isVisible('header.site'), false, 'header');
        equal(await page.isVisible('#print'), false, 'print button');
        contains(await page.textContent('#print-who'), EXAM_NO, 'identity');
        await shot(page, 'browse-print.png');
        await page.emulateMedia({ media: 'screen' });
    });

    await check('F12 filling again within the hour is refused with the time',
                async () => {
        await openFill(page, p.batch);
        await page.waitForURL(/browse\.html\?/);
        await page.waitForSelector('#reason:not([hidden])');
        const text = await page.textContent('#reason');
        contains(text, '未满1小时', 'reason');
        if (!TIME_RE.test(text)) {
            throw new Error('no time in ' + JSON.stringify(text));
        }
        await shot(page, 'browse-refused.png');
    });

    await check('A5 安全退出 ends the session', async () => {
        await page.goto(BASE + 'home.html');
        await page.click('#logout');
        await page.waitForURL(/index\.html/);
        await page.goto(BASE + 'home.html');
        await page.waitForURL(/index\.html/);
    });

    await context.close();
}

async function phoneBrowse(browser, p, problems) {
    const { context, page } = await newPage(browser, PHONE, problems);

    await check('phone: V1 browse fits 375px and shows the application',
                async () => {
        await login(page);
        await page.goto(BASE + 'browse.html');
        await page.waitForSelector('.group');
        contains(await page.textContent('#groups'), p.first.name, 'name');
        await shot(page, 'phone-browse.png');
        await noSideScroll(page);
    });

    await context.close();
}

async function main() {
    const problems = [];
    let browser = null;
    let p = null;

    console.log('TAP version 13');
    mkdirSync(ARTIFACTS, { recursive: true });

    if (!BASE.startsWith('http') || !EXAM_NO || !ID_NO || !PASSWORD) {
        report(false, 'environment', 'set BASE_URL, EXAM_NO, ID_NO, PASSWORD');

    } else if (await check(`the catalog of ${BATCH_NAME} has ${FIRST_INST} `
                           + 'and two more institutions', async () => {
                               p = await plan();
                           }))
    {
        browser = await launch();
    }

    if (browser) {
        try {
            await phoneFill(browser, p, problems);
            await desktopJourney(browser, p, problems);
            await phoneBrowse(browser, p, problems);
            noProblems(problems);

        } finally {
            await browser.close();
        }
    }

    finish();
}

main().catch(crashed);
