// heao: what a candidate does after saving, in a real browser.
//
// Test candidate 1801 (理) saves 本科一批 with a directed plan
// (免费医学定向) through the API from the page; browse shows the pledge
// button (I4) and prints the application to PDF, whose text read back
// with pdftotext holds the checksum and every institution name (V2); the
// pledge letter, the save history (V4), the mailbox with its unread count
// (I1), the info center (I2, I3, I6, I5 with a dynamic password), and
// the abandon of the group proven with the dynamic password (V3).
// Test candidate 1800 (文, no dynamic password, no phone nor WeChat) sees
// I5 refused and abandons the 本科提前批 group with the 密码验证信息: the
// confirmation lists every batch of the group; a wrong one is refused
// beside the field.  Test candidate 1855 (a phone on file) abandons
// 本科二批 with a code sent by SMS (A8's order), read from heao.outbox.
// The entry page shows the office's announcements (I7).  The home page
// shows, in place of 填报, why a batch cannot be filled (F9, F12, V3):
// 已放弃, 修改次数已用完 (saves used up through psql), 不能填报 with the
// candidate types it takes, 已关闭 and 未开放 with the opening time (two
// batch windows moved through psql and put back after), and a 503 of
// browse says 系统繁忙 once.
//
// Environment: BASE_URL, PG_PORT, REDIS_PORT; CHROMIUM optional.  The
// candidates are reset here (psql, redis-cli).  Screenshots and the PDF
// go to t/artifacts/.  Prints TAP; exits 1 on any failure.

import { execFileSync } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
    ACTION_TIMEOUT_MS, ARTIFACTS, BASE, DESKTOP, PHONE, REDIS_PORT,
    SMALL_PHONE, candidate, check,
    contains, crashed, equal, finish, launch, login, newPage, noProblems,
    noSideScroll,
    psql, report, reset, shot, watch, who
} from './lib.mjs';

const TOTP_KEY = '3132333435363738393031323334353637383930';
const VERIFY_INFO = '中原大地';
const DIRECTED = { inst: '6015', majors: ['16'] };    // 免费医学定向
const ORDINARY = { inst: '1105', majors: ['07', '11'] };
const GROUP_10 = ['1A', '1B', '1C', '1D', '1E', '1T', '1Y'];
const CLOSED_BATCH = '1Z';          // 本科一批征集志愿, a group of one
const LATER_BATCH = '21';           // 地方专项计划本科批, a group of one
const CATALOG_WAIT_MS = 30000;

// what reset() clears, and what an earlier run gave 1801 to show: a
// score, an evaluation, an archive change, a dynamic password, abandon
// codes
function clean(c) {
    const w = who(c);

    reset(c, `delete from heao.exam_score where candidate_id = ${w};
        delete from heao.evaluation where candidate_id = ${w};
        delete from heao.integrity_record where candidate_id = ${w};
        delete from heao.archive_event where candidate_id = ${w};
        update heao.candidate set totp_secret = null, totp_bound_at = null
         where id = ${w};`,
          ['heao:vc:abandon:', 'heao:vs:abandon:']);
}

function totp(hexKey) {
    const step = Math.floor(Date.now() / 1000 / 30);
    const msg = Buffer.alloc(8);

    msg.writeUInt32BE(Math.floor(step / 2 ** 32), 0);
    msg.writeUInt32BE(step % 2 ** 32, 4);

    const mac = createHmac('sha1', Buffer.from(hexKey, 'hex')).update(msg)
                .digest();
    const off = mac[mac.length - 1] & 0x0f;

    return String((mac.readUInt32BE(off) & 0x7fffffff) % 1e8)
           .padStart(8, '0');
}

// a page of its own with c logged in
async function loggedIn(browser, c, problems, viewport) {
    const { context, page } = await newPage(browser, viewport || DESKTOP,
                                            problems);

    await login(page, c);

    return { context, page };
}

// a save through the portal's own API from the logged-in page
async function save(page, batch, slots) {
    return page.evaluate(async ([b, s, id]) => {
        const begin = await heao.api('POST', `/api/fill/${b}/begin`,
                                     { accept_notice: true });

        if (begin.status !== 200) {
            return begin;
        }

        return heao.api('POST', `/api/fill/${b}/save`,
                        { save_id: id,
                          application: { sections: [ { slots: s } ] } });
    }, [batch, slots, randomUUID()]);
}

function pdfText(path) {
    return execFileSync('pdftotext', ['-layout', path, '-'],
                        { encoding: 'utf8' });
}

async function directed(browser, c, problems) {
    const { context, page } = await loggedIn(browser, c, problems);
    let saved = null;
    const names = {};

    await check('F save of 本科一批 with a directed plan through the API',
                async () => {
        const r = await save(page, '11', [
            { institution: ORDINARY.inst, majors: ORDINARY.majors,
              adjust: 'agree' },
            { institution: DIRECTED.inst, majors: DIRECTED.majors,
              adjust: 'disagree' }]);
        equal(r.status, 200, 'save status ' + JSON.stringify(r.data));
        saved = r.data;

        for (const code of [ORDINARY.inst, DIRECTED.inst]) {
            names[code] = psql('select name from heao.institution'
                               + " where batch_code = '11'"
                               + ` and code = '${code}'`);
        }
    });

    await check('I4 browse shows the pledge reminder and its print button',
                async () => {
        await page.goto(BASE + 'browse.html');
        await page.waitForSelector('.pledge-note');
        const note = await page.textContent('.pledge-note');
        contains(note, '免费医学定向', 'reminder');
        // the deadline as the letter gives it: a day and a time to the
        // minute, Beijing time, three days after the close
        const due = psql("select to_char((closes_at + interval '3 days')"
                         + " at time zone 'Asia/Shanghai',"
                         + " 'YYYY\"年\"FMMM\"月\"FMDD\"日\" HH24:MI')"
                         + " from heao.batch where code = '11'");
        contains(note, '并于' + due + '前打印', 'deadline');
        equal(/\d:\d\d:\d\d/.test(note), false, 'seconds in the reminder');
        equal(await page.isVisible('a[href="pledge.html?batch=11"]'), true,
              'button');
        await shot(page, 'after-browse-pledge.png');
    });

    await check('V2 the application printed to PDF holds the checksum and '
                + 'every institution name', async () => {
        const path = join(ARTIFACTS, 'application.pdf');

        await page.emulateMedia({ media: 'print' });
        await page.pdf({ path, format: 'A4', printBackground: true });
        await page.emulateMedia({ media: 'screen' });

        const text = pdfText(path);
        contains(text, saved.checksum, 'checksum');
        contains(text, c.exam_no, 'exam number');
        contains(text, names[ORDINARY.inst], 'institution ' + ORDINARY.inst);
        contains(text, names[DIRECTED.inst], 'institution ' + DIRECTED.inst);
    });

    await check('I4 the pledge letter names the candidate, the directed '
                + 'choice and the deadline', async () => {
        await page.click('a[href="pledge.html?batch=11"]');
        await page.waitForSelector('#pledge');
        const text = await page.textContent('#pledge');
        contains(text, c.id_no, 'ID number');
        contains(text, c.name, 'name');
        contains(text, '临床医学', 'directed major');
        contains(text, saved.checksum, 'checksum');
        contains(await page.textContent('#pledge-deadline'), '前将签字',
                 'deadline');
        const path = join(ARTIFACTS, 'pledge.pdf');
        await page.pdf({ path, format: 'A4' });
        contains(pdfText(path), '免费医学定向承诺书', 'printed title');
        await shot(page, 'after-pledge.png');

        // on a phone the letter's tables stack their cells, as browse's do
        const size = page.viewportSize();
        await page.setViewportSize(SMALL_PHONE);
        equal(await page.evaluate(() => document.documentElement.scrollWidth
                                        <= window.innerWidth), true,
              'no sideways scroll at 375 px');
        await shot(page, 'after-pledge-phone.png');
        await page.setViewportSize(size);
    });

    await check('I4 the letter\'s deadline is a day and a time to the '
                + 'minute, Beijing time, three days after the close',
                async () => {
        const want = psql("select to_char((closes_at + interval '3 days')"
                          + " at time zone 'Asia/Shanghai',"
                          + " 'YYYY\"年\"FMMM\"月\"FMDD\"日\" HH24:MI')"
                          + " from heao.batch where code = '11'");
        const said = await page.textContent('#pledge-deadline');
        contains(said, '请于' + want + '（北京时间）前', 'deadline');
        equal(/\d:\d\d:\d\d/.test(said), false, 'seconds in the letter');
    });

    await check('I4 the pledge page without a batch sends to browse, under '
                + 'the candidate\'s own header', async () => {
        await page.goto(BASE + 'pledge.html');
        await page.waitForFunction(() =>
            document.getElementById('letter').textContent.includes('浏览志愿'));
        contains(await page.textContent('#letter'), '请从浏览志愿页面打印承诺书',
                 'where to go');
        contains(await page.textContent('#who'), c.name, 'the name');
        equal(await page.isVisible('#logout'), true, 'logout shown');
    });

    await check('V4 the save history shows the save with its address and '
                + 'checksum', async () => {
        await page.click('nav a[href="history.html"]');
        await page.waitForSelector('#save-list');
        const text = await page.textContent('#save-list');
        contains(text, '本科一批', 'batch');
        contains(text, '第1次', 'save number');
        contains(text, '127.0.0.1', 'client');
        contains(text, saved.checksum, 'checksum');
        await shot(page, 'after-history.png');
    });

    await check('I1 the mailbox counts 2 unread; opening one counts 1',
                async () => {
        await page.click('nav a[href="mailbox.html"]');
        await page.waitForSelector('#mail-list');
        contains(await page.textContent('#unread-count'), '未读2封', 'count');
        contains(await page.textContent('#nav-unread'), '2', 'menu count');
        await page.click('#mail-list li:has-text("承诺书") summary');
        await page.waitForFunction(() => document.getElementById(
            'unread-count').textContent.includes('未读1封'));
        contains(await page.textContent('#mail-list'), '打印承诺书',
                 'reminder text');
        await shot(page, 'after-mailbox.png');
    });

    psql('update heao.candidate set totp_secret ='
         + ` decode('${TOTP_KEY}', 'hex'), totp_bound_at = now()`
         + ` where id = ${c.id}`);

    await check('I2 I3 I6 I5 the info center shows the score, evaluation, '
                + 'archive status and, with a dynamic password, figures',
                async () => {
        await page.click('nav a[href="info.html"]');
        await page.waitForSelector('#score-table');
        contains(await page.textContent('#score-total'), '601', 'total');
        contains(await page.textContent('#eval-comment'), '勤奋好学',
                 'evaluation');
        contains(await page.textContent('#archive-status'), '已投档',
                 'archive');
        await page.click(`#adm-mine button[data-code="${ORDINARY.inst}"]`);
        await page.waitForSelector('#adm-table');
        const text = await page.textContent('#adm-table');
        contains(text, '2020', 'year');
        contains(text, '2018', 'third year back');
        contains(text, '本科一批', 'batch');
        await shot(page, 'after-info.png');
    });

    await check('V3 the abandon confirmation lists 本科一批 and asks for the '
                + 'dynamic password; the code abandons', async () => {
        await page.goto(BASE + 'abandon.html?batch=11');
        await page.waitForSelector('#abandon-form');
        equal((await page.textContent('#abandon-batches')).trim()
              .startsWith('本科一批'), true, 'batches listed');
        equal(await page.locator('#abandon-batches li').count(), 1, 'one');
        equal(await page.isVisible('#proof-totp'), true, 'totp asked');
        equal(await page.locator('#proof-verify').count(), 0,
              'no 密码验证信息');
        await page.fill('#proof-totp', totp(TOTP_KEY));
        await page.check('#confirm');
        await shot(page, 'after-abandon-totp.png');
        await page.click('#abandon-form button[type="submit"]');
        await page.waitForSelector('#abandon-done');
        contains(await page.textContent('#abandoned-batches'), '本科一批',
                 'answer');
        await page.goto(BASE + 'browse.html');
        await page.waitForSelector('.group');
        const groups = await page.textContent('#groups');
        contains(groups, '您已放弃【本科一批】', 'browse');
        const at = psql(`select to_char(abandoned_at at time zone
                                            'Asia/Shanghai',
                                        'YYYY"年"MM"月"DD"日" HH24:MI:SS')
                           from heao.group_state
                          where candidate_id = ${c.id}
                            and group_code = '11'`);
        contains(groups, '（已于' + at + '放弃，志愿已作废）',
                 'the save line, with the time of the abandon');
        equal(groups.includes('还可以修改'), false, 'no changes offered');
        equal(groups.includes('本次志愿校验值'), false, 'no empty checksum');
    });

    await context.close();
}

async function verifyInfo(browser, c, problems) {
    // no phone nor WeChat: A8's order makes the 密码验证信息 the proof
    psql('update heao.candidate set phone = null, wechat_openid = null'
         + ` where id = ${c.id}`);

    const { context, page } = await loggedIn(browser, c, problems);

    await check('I5 without a dynamic password the figures are refused',
                async () => {
        await page.goto(BASE + 'info.html');
        await page.fill('#adm-code', '1105');
        await page.click('#adm-form button[type="submit"]');
        await page.waitForSelector('#adm-refused');
        contains(await page.textContent('#adm-refused'), '绑定动态密码',
                 'message');
    });

    await check('V3 the confirmation lists every batch of the 本科提前批 '
                + 'group and asks for the 密码验证信息', async () => {
        await page.goto(BASE + 'abandon.html?batch=1B');
        await page.waitForSelector('#abandon-form');
        const want = GROUP_10.map((b) => psql(
            `select name from heao.batch where code = '${b}'`));
        const got = await page.locator('#abandon-batches li strong')
                    .allTextContents();
        equal(JSON.stringify(got), JSON.stringify(want), 'batches');
        equal(await page.isVisible('#proof-verify'), true, 'verify asked');
        equal(await page.locator('#proof-totp').count(), 0, 'no totp');
        await shot(page, 'after-abandon-confirm.png');
    });

    await check('V3 a wrong 密码验证信息 is refused beside the field',
                async () => {
        await page.fill('#proof-verify', '黄河之水');
        await page.check('#confirm');
        await page.click('#abandon-form button[type="submit"]');
        await page.waitForSelector('#proof-verify-err:not([hidden])');
        contains(await page.textContent('#proof-verify-err'), '不正确',
                 'message');
    });

    await check('V3 the right 密码验证信息 abandons every batch of the group',
                async () => {
        await page.fill('#proof-verify', VERIFY_INFO);
        await page.click('#abandon-form button[type="submit"]');
        await page.waitForSelector('#abandon-done');
        equal(await page.locator('#abandoned-batches li').count(),
              GROUP_10.length, 'batches');
        await shot(page, 'after-abandon-done.png');
    });

    await check('V1 V2 V3 browse and its print view say when a group '
                + 'abandoned before any save was abandoned, and no save',
                async () => {
        const at = psql(`select to_char(abandoned_at at time zone
                                            'Asia/Shanghai',
                                        'YYYY"年"MM"月"DD"日" HH24:MI:SS')
                           from heao.group_state
                          where candidate_id = ${c.id}
                            and group_code = '10'`);
        const want = '已于' + at + '放弃本批次志愿（放弃前未保存过志愿），'
                     + '不能再次填报。';

        await page.goto(BASE + 'browse.html');
        await page.waitForSelector('#group-10 .save-line');
        equal((await page.textContent('#group-10 .save-line')).trim(), want,
              'screen');
        await page.emulateMedia({ media: 'print' });
        equal(await page.isVisible('#group-10 .save-line'), true,
              'printed');
        equal((await page.innerText('#group-10 .important')).includes('第0次'),
              false, 'no save 0 when printed');
        await shot(page, 'after-abandon-browse-print.png');
        await page.emulateMedia({ media: 'screen' });
    });

    await context.close();
}

// V3 with a phone on file: the abandon asks for a code sent by SMS
async function smsCode(browser, c, problems) {
    const phone = '1399' + String(c.t).padStart(7, '0');
    const masked = phone.slice(0, 3) + '****' + phone.slice(7);

    psql(`update heao.candidate set phone = '${phone}', wechat_openid = null`
         + ` where id = ${c.id}`);

    const { context, page } = await loggedIn(browser, c, problems);

    await check('V3 A8 with a phone on file the abandon asks for a code '
                + 'sent by SMS to the masked number', async () => {
        await page.goto(BASE + 'abandon.html?batch=12');
        await page.waitForSelector('#abandon-form');
        equal(await page.isVisible('#proof-code'), true, 'code asked');
        equal(await page.locator('#proof-verify').count(), 0,
              'no 密码验证信息');
        equal(await page.locator('#proof-totp').count(), 0, 'no totp');
        contains(await page.textContent('#proof-code-hint'), masked,
                 'masked phone');
        equal((await page.textContent('#abandon-form')).includes(phone),
              false, 'whole number shown');
    });

    await check('V3 获取验证码 sends one code and waits 60 s to resend',
                async () => {
        await page.click('#send-code');
        await page.waitForSelector('#proof-code-msg:not([hidden])');
        contains(await page.textContent('#proof-code-msg'), masked,
                 'sent to');
        equal(await page.isDisabled('#send-code'), true, 'resend waits');
        contains(await page.textContent('#send-code'), '秒后重新获取',
                 'countdown');
        equal(psql('select count(*) from heao.outbox'
                   + ` where candidate_id = ${c.id} and kind = 'code'`
                   + " and channel = 'sms'"
                   + " and payload->>'purpose' = 'abandon'"), '1',
              'one SMS code queued');
        await shot(page, 'after-abandon-code.png');
    });

    const code = psql("select payload->>'code' from heao.outbox"
                      + ` where candidate_id = ${c.id} and kind = 'code'`
                      + " and payload->>'purpose' = 'abandon'"
                      + ' order by id desc limit 1');

    await check('V3 a wrong code is refused beside the field', async () => {
        equal(/^\d{6}$/.test(code), true, 'code in the outbox');
        await page.fill('#proof-code',
                        String((Number(code) + 1) % 1e6).padStart(6, '0'));
        await page.check('#confirm');
        await page.click('#abandon-form button[type="submit"]');
        await page.waitForSelector('#proof-code-err:not([hidden])');
        contains(await page.textContent('#proof-code-err'), '验证码不正确',
                 'message');
    });

    await check('V3 the code sent by SMS abandons the group', async () => {
        const name = psql("select name from heao.batch where code = '12'");
        await page.fill('#proof-code', code);
        await page.click('#abandon-form button[type="submit"]');
        await page.waitForSelector('#abandon-done');
        contains(await page.textContent('#abandoned-batches'), name,
                 'answer');
        equal(psql('select count(*) from heao.group_state'
                   + ` where candidate_id = ${c.id} and abandoned_at`
                   + ' is not null'), '1', 'abandoned in PostgreSQL');
        await shot(page, 'after-abandon-code-done.png');
    });

    await context.close();
}

// the new pages at phone width: nothing wider than the screen
async function phone(browser, c, problems) {
    // unbound again, so that the login asks for no code
    psql('update heao.candidate set totp_secret = null,'
         + ` totp_bound_at = null where id = ${c.id}`);

    const { context, page } = await loggedIn(browser, c, problems, PHONE);

    for (const [path, sel] of [['history.html', '#save-list'],
                               ['mailbox.html', '#mail-list'],
                               ['info.html', '#score-table'],
                               ['abandon.html?batch=12', '#abandon-form']]) {
        await check(`phone: ${path} fits 375px`, async () => {
            await page.goto(BASE + path);
            await page.waitForSelector(sel);
            const [sw, iw] = await page.evaluate(() => [
                document.documentElement.scrollWidth, window.innerWidth]);
            await shot(page, 'after-phone-' + path.replace(/\W.*$/, '')
                             + '.png');
            equal(sw <= iw, true, `${sw}px wide in ${iw}px`);
        });
    }

    await context.close();
}

// until every worker of the portal serves the catalog version that
// PostgreSQL holds now (B6: a change of a batch reaches them within
// about two refreshes)
async function catalogServed() {
    const want = psql('select version from heao.catalog_meta');
    const end = Date.now() + CATALOG_WAIT_MS;

    for (;;) {
        const text = await (await fetch(BASE + 'metrics')).text();
        const got = [...text.matchAll(
            /^heao_catalog_version\{[^}]*\} (\d+)$/mg)].map((m) => m[1]);

        if (got.length && got.every((v) => v === want || v === '0')) {
            return;
        }

        if (Date.now() > end) {
            throw new Error(`workers serve catalog ${got.join(', ')}, `
                            + `not ${want}`);
        }

        await new Promise((ok) => setTimeout(ok, 500));
    }
}

// the 操作 cell of a batch's row on the home page, and whether it offers
// 填报 (a link to the batch's notice)
async function actionOf(page, code) {
    const row = `#batch-${code}`;

    return {
        text: (await page.textContent(`${row} td[data-label="操作"]`)).trim(),
        fill: await page.locator(`${row} a[href^="notice.html"]`).count()
    };
}

async function noFill(page, code, want) {
    const a = await actionOf(page, code);

    equal(a.fill, 0, `${code}: 填报 offered`);

    for (const w of want) {
        contains(a.text, w, code);
    }
}

// F9 F12 V3: the home page tells where filling cannot happen instead of
// offering 填报; c1 abandoned 本科一批 (directed) and c0 the 本科提前批
// group (verifyInfo)
async function home(browser, c1, c0, problems) {
    const inst = psql("select inst_code || '|' || code from heao.major"
                      + " where batch_code = '12' and class = 'ordinary'"
                      + " and restrictions = '{}' order by inst_code, code"
                      + ' limit 1')
                 .split('|');
    const { context, page } = await loggedIn(browser, c1, problems);

    await check('F12 a group whose saves are used up shows 修改次数已用完, '
                + 'an abandoned one 已放弃, neither offers 填报', async () => {
        const r = await save(page, '12', [
            { institution: inst[0], majors: [inst[1]], adjust: 'agree' }]);
        equal(r.status, 200, 'save of 本科二批 ' + JSON.stringify(r.data));
        psql('update heao.group_state set saves_used ='
             + " (select max_saves from heao.batch_group where code = '12')"
             + ` where candidate_id = ${c1.id} and group_code = '12'`);
        execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', REDIS_PORT,
                                   'DEL', `heao:b:${c1.id}`]);
        await page.goto(BASE + 'home.html');
        await page.waitForSelector('#batch-12');
        await noFill(page, '12', ['修改次数已用完']);
        await noFill(page, '11', ['已放弃']);
        await shot(page, 'after-home-states.png');
    });

    await check('F9 a batch the candidate\'s type never fills shows 不能填报 '
                + 'with the types it takes', async () => {
        equal(psql(`select ctype from heao.candidate where id = ${c1.id}`),
              '普通', 'the candidate\'s type');
        await noFill(page, '60', ['不能填报', '对口']);
        await noFill(page, '1T', ['不能填报', '体育']);
        await noFill(page, '70', ['不能填报', '专升本']);
    });

    await check('F11 the rule of a group of several categories is said '
                + 'once, and each such group is marked', async () => {
        const groups = Number(psql('select count(*) from (select group_code'
                                   + ' from heao.batch group by group_code'
                                   + ' having count(*) > 1) g'));
        equal(groups > 1, true, 'the demo year has several such groups');
        equal(await page.evaluate(() => [...document.querySelectorAll(
                  '#batches p, #batches td')].filter((e) =>
                  e.textContent.includes('会覆盖同组')).length), 1,
              'the rule said once');
        equal(await page.locator('tr.group-note').count(), groups,
              'a mark per group of several categories');
    });

    await check('a time of a batch window is never broken across lines',
                async () => {
        const lines = await page.evaluate(() => [...document.querySelectorAll(
            '#batches td[data-label="填报时间"] .when')].map((e) =>
            e.getClientRects().length));
        equal(lines.length > 0, true, 'times found');
        equal(lines.filter((n) => n !== 1).length, 0, 'times broken');
    });

    await check('F12 a group that can still be filled keeps its 填报',
                async () => {
        equal((await actionOf(page, '50')).fill, 1, '高职高专批');
        equal((await actionOf(page, '20')).fill, 1, '国家专项计划本科批');
    });

    await check('F12 V1 a save whose next change would come after the close '
                + 'stands: no 填报, and browse says it is final', async () => {
        const m = psql("select inst_code || '|' || code from heao.major"
                       + " where batch_code = '50' and class = 'ordinary'"
                       + " and restrictions = '{}' order by inst_code, code"
                       + ' limit 1').split('|');
        const r = await save(page, '50', [
            { institution: m[0], majors: [m[1]], adjust: 'agree' }]);
        equal(r.status, 200, 'save of 高职高专批 ' + JSON.stringify(r.data));
        // the save moved to 30 minutes before the close
        psql("update heao.group_state set last_save_at = (select closes_at"
             + " - interval '30 minutes' from heao.batch where code = '50')"
             + ` where candidate_id = ${c1.id} and group_code = '50'`);
        execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', REDIS_PORT,
                                   'DEL', `heao:b:${c1.id}`]);
        await page.goto(BASE + 'home.html');
        await page.waitForSelector('#batch-50');
        await noFill(page, '50', ['不能再修改']);
        contains(await page.textContent('#batch-50 td[data-label="我的志愿"]'),
                 '已保存1次，截止前不能再修改', 'my application');
        await page.goto(BASE + 'browse.html');
        await page.waitForSelector('.final');
        contains(await page.textContent('.final'), '即为最终志愿', 'browse');
    });

    const was = psql('select code, opens_at, closes_at from heao.batch'
                     + ` where code in ('${CLOSED_BATCH}', '${LATER_BATCH}')`)
                .split('\n').map((l) => l.split('|'));

    try {
        psql(`begin;
            update heao.batch
               set opens_at = now() - interval '2 days',
                   closes_at = now() - interval '1 hour'
             where code = '${CLOSED_BATCH}';
            update heao.batch
               set opens_at = date_trunc('hour', now()) + interval '2 days',
                   closes_at = date_trunc('hour', now()) + interval '5 days'
             where code = '${LATER_BATCH}';
            commit;`);

        await check('F12 a closed window shows 已关闭, one not open yet '
                    + '未开放 with its opening time, neither offers 填报',
                    async () => {
            const opens = psql("select to_char(opens_at at time zone"
                               + " 'Asia/Shanghai',"
                               + " 'MM\"月\"DD\"日\" HH24:MI')"
                               + ' from heao.batch'
                               + ` where code = '${LATER_BATCH}'`);
            await catalogServed();
            await page.goto(BASE + 'home.html');
            await page.waitForSelector(`#batch-${LATER_BATCH}`);
            await noFill(page, CLOSED_BATCH, ['已关闭']);
            await noFill(page, LATER_BATCH, ['未开放', opens]);
            await shot(page, 'after-home-windows.png');
        });

        await check('I1 the pages name a batch and 志愿 once: '
                    + '本科一批征集志愿, not 本科一批征集志愿志愿',
                    async () => {
            const [closed, ordinary] = await page.evaluate(() => [
                heao.zhiyuan('本科一批征集志愿'), heao.zhiyuan('本科一批')]);
            equal(closed, '本科一批征集志愿', 'a supplementary round');
            equal(ordinary, '本科一批志愿', 'an ordinary batch');
        });

        await check('phone: the home page with these states fits 375px',
                    async () => {
            const size = page.viewportSize();
            await page.setViewportSize(SMALL_PHONE);
            await noSideScroll(page);
            await shot(page, 'after-home-phone.png');
            await page.setViewportSize(size);
        });

    } finally {
        for (const [code, opens, closes] of was) {
            psql(`update heao.batch set opens_at = '${opens}',
                  closes_at = '${closes}' where code = '${code}'`);
        }

        await catalogServed();
    }

    await check('a 503 of browse shows 系统繁忙 once, in the banner, and '
                + 'the page loads by itself after Retry-After', async () => {
        await page.route('**/api/browse', (route) => route.fulfill({
            status: 503, contentType: 'application/json',
            headers: { 'Retry-After': '5' },
            body: '{"error":"unavailable","message":"系统繁忙，请稍后重试"}'
        }));
        await Promise.all([
            page.waitForResponse((res) => res.url().endsWith('/api/browse')
                                          && res.status() === 503),
            page.goto(BASE + 'home.html')
        ]);
        await page.waitForSelector('#busy:not([hidden])');
        await page.waitForFunction(() => !document.getElementById('batches')
                                   .textContent.includes('正在加载'));
        const text = await page.evaluate(() => document.body.innerText);
        equal(text.split('系统繁忙').length - 1, 1, '系统繁忙 shown');
        await shot(page, 'after-home-busy.png');
        await page.unroute('**/api/browse');
        await page.waitForSelector('#batches table', { timeout: 15000 });
        equal(await page.isVisible('#busy'), false, 'banner after');
    });

    await context.close();

    const other = await loggedIn(browser, c0, problems);

    await check('V3 after the abandon of the 本科提前批 group no category '
                + 'of it offers 填报: 已放弃, or 不能填报 for another type',
                async () => {
        await other.page.waitForSelector('#batch-1A');

        for (const code of GROUP_10) {
            const types = psql('select array_to_string(candidate_types,'
                               + " ',') from heao.batch"
                               + ` where code = '${code}'`).split(',');
            await noFill(other.page, code,
                         types.includes('普通') ? ['已放弃'] : ['不能填报']);
        }
    });

    await other.context.close();
}

async function entry(browser, problems) {
    const context = await browser.newContext({ viewport: DESKTOP,
                                               locale: 'zh-CN' });
    const page = await context.newPage();

    page.setDefaultTimeout(ACTION_TIMEOUT_MS);
    watch(page, problems);

    await check('I7 the entry page shows the announcements published now',
                async () => {
        const title = psql("select title from heao.bulletin"
                           + " where kind = 'announcement'"
                           + " and withdrawn_at is null"
                           + " and published_at <= now()"
                           + " order by sort, published_at desc, id desc"
                           + " limit 1");
        await page.goto(BASE + 'index.html');
        await page.waitForFunction((t) => document.getElementById('news')
                                   .textContent.includes(t), title);
        await shot(page, 'after-entry.png');
    });

    await context.close();
}

async function main() {
    const problems = [];
    let browser = null;
    const c1 = candidate(1801);
    const c0 = candidate(1800);
    const c5 = candidate(1855);

    console.log('TAP version 13');
    mkdirSync(ARTIFACTS, { recursive: true });

    if (!BASE.startsWith('http')) {
        report(false, 'environment', 'set BASE_URL');

    } else {
        clean(c1);
        clean(c0);
        clean(c5);
        psql(`insert into heao.exam_score (candidate_id, subjects, total,
                                           rank)
              values (${c1.id}, '[{"name": "语文", "score": 120},
                                  {"name": "数学", "score": 130},
                                  {"name": "外语", "score": 121},
                                  {"name": "理科综合", "score": 230}]',
                      601, 20000);
              insert into heao.evaluation (candidate_id, school, comment,
                                           written_at)
              values (${c1.id}, '郑州市第一中学', '该生勤奋好学。',
                      '2021-05-20');
              insert into heao.archive_event (candidate_id, status,
                                              batch_code, inst_code,
                                              inst_name, actor)
              values (${c1.id}, '已投档', '11', '1105', '北京大学',
                      'after.mjs')`);

        browser = await launch();
    }

    if (browser) {
        try {
            await directed(browser, c1, problems);
            await phone(browser, c1, problems);
            await verifyInfo(browser, c0, problems);
            await smsCode(browser, c5, problems);
            await home(browser, c1, c0, problems);
            await entry(browser, problems);
            noProblems(problems);

        } finally {
            await browser.close();
        }
    }

    finish();
}

main().catch(crashed);
