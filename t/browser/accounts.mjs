// heao: the account journeys in a real browser: the lost exam number
// (A7) and the password reset by an SMS code (A8) on recover.html, then
// on contact.html the 密码验证信息 (A10) and a phone change with a code
// to each number (A9).  Codes are read where a phone would get them:
// the outbox row the portal wrote (no sender runs beside tools/test's
// portal, so the row still holds it).
//
// Needs the captcha off (heao_captcha off) and a candidate with a phone
// on file, no WeChat, no dynamic password.  Environment:
//   BASE_URL      site root, e.g. http://127.0.0.1:8080/
//   EXAM_NO ID_NO NAME PHONE REG_SERIAL PASSWORD   the candidate
//   PG_PORT       the portal's PostgreSQL
//   CHROMIUM      optional: the browser (/usr/bin/chromium)
// Prints TAP; the last line is "N passed, M failed"; exits 1 on any
// failure.

import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import {
    ACTION_TIMEOUT_MS, ARTIFACTS, BASE, DESKTOP, LAUNCH, check, finish, psql,
    report, shot, watch
} from './lib.mjs';

const EXAM_NO = process.env.EXAM_NO || '';
const ID_NO = process.env.ID_NO || '';
const NAME = process.env.NAME || '';
const PHONE = process.env.PHONE || '';
const REG_SERIAL = process.env.REG_SERIAL || '';
const PASSWORD = process.env.PASSWORD || '';
const NEW_PASSWORD = 'Journey#2021a';
const NEW_PHONE = '13700000' + EXAM_NO.slice(-3);
// the code of the newest code row of the candidate (to a number, or to
// the phone on file), as the SMS would carry it
function lastCode(to) {
    const where = to ? `payload->>'phone' = '${to}'`
                     : `payload->>'phone' is null`;

    return psql(`select payload->>'code' from heao.outbox o
        join heao.candidate c on c.id = o.candidate_id
        where c.exam_no = '${EXAM_NO}' and o.kind = 'code' and ${where}
        order by o.id desc limit 1`);
}

async function waitText(page, sel, part) {
    await page.waitForFunction(([s, w]) => {
        const e = document.querySelector(s);
        return e && e.offsetParent !== null && e.textContent.includes(w);
    }, [sel, part]);
}

async function main() {
    const problems = [];

    mkdirSync(ARTIFACTS, { recursive: true });

    const browser = await chromium.launch(LAUNCH);
    const context = await browser.newContext({ viewport: DESKTOP,
                                               locale: 'zh-CN' });
    const page = await context.newPage();

    page.setDefaultTimeout(ACTION_TIMEOUT_MS);
    watch(page, problems);

    await check('A7 the login page links to the recovery page', async () => {
        await page.goto(BASE + 'index.html');
        await page.click('a[href="recover.html"]');
        await page.waitForURL(/recover\.html/);
    });

    await check('A7 serial, registration password and name give the exam'
                + ' number', async () => {
        await page.fill('#reg_serial', REG_SERIAL);
        await page.fill('#reg_password', PASSWORD);
        await page.fill('#examno-name', NAME);
        await page.click('#examno-btn');
        await waitText(page, '#examno-status', EXAM_NO);
    });

    await check('A7 a wrong registration password is told without saying'
                + ' which field', async () => {
        await page.fill('#reg_password', 'Wrong@2021!');
        await page.click('#examno-btn');
        await waitText(page, '#examno-status', '报名序号、注册密码或姓名不正确');
    });

    await check('A8 the reset asks for the SMS code sent to the masked'
                + ' phone', async () => {
        await page.fill('#exam_no', EXAM_NO);
        await page.fill('#id_no', ID_NO);
        await page.fill('#name', NAME);
        await page.click('#reset-btn');
        await waitText(page, '#proof-lead',
                       PHONE.slice(0, 3) + '****' + PHONE.slice(7));
    });

    await check('A8 a wrong code is refused at the proof field', async () => {
        const code = lastCode();
        const wrong = String((Number(code) + 1) % 1000000).padStart(6, '0');

        await page.fill('#proof', wrong);
        await page.fill('#new_password', NEW_PASSWORD);
        await page.fill('#new_password2', NEW_PASSWORD);
        await page.click('#proof-btn');
        await waitText(page, '#proof-err', '验证信息不正确');
    });

    await check('A8 the right code and a new password reset it', async () => {
        await page.fill('#proof', lastCode());
        await page.click('#proof-btn');
        await waitText(page, '#reset-status', '密码已重置');
        await shot(page, 'accounts-reset.png');
    });

    await check('A8 A1 the new password logs in', async () => {
        await page.goto(BASE + 'index.html');
        await page.fill('#exam_no', EXAM_NO);
        await page.fill('#id_no', ID_NO);
        await page.fill('#password', NEW_PASSWORD);
        await page.click('#login-btn');
        await page.waitForURL(/home\.html/);
    });

    await check('A10 the 密码验证信息 is set with the login password',
                async () => {
        await page.goto(BASE + 'contact.html');
        await page.fill('#vi-password', NEW_PASSWORD);
        await page.fill('#vi-value', '黄河之水');
        await page.click('#vi-form button[type="submit"]');
        await waitText(page, '#vi-status', '密码验证信息已重设');
    });

    await check('A10 a wrong login password is told at its field',
                async () => {
        await page.fill('#vi-password', 'Wrong@2021!');
        await page.fill('#vi-value', '黄河之水');
        await page.click('#vi-form button[type="submit"]');
        await waitText(page, '#vi-password-err', '登录密码不正确');
    });

    await check('A9 a phone change: a code to the new number and one to'
                + ' the old', async () => {
        await page.fill('#phone', NEW_PHONE);
        await page.click('#send-new');
        await waitText(page, '#phone-status', '新手机号码的验证码已发送');
        await page.click('#send-old');
        await waitText(page, '#phone-status', '原手机号码的验证码已发送');
    });

    await check('A9 both codes save the new phone', async () => {
        await page.fill('#code', lastCode(NEW_PHONE));
        await page.fill('#old_code', lastCode());
        await page.click('#phone-form button[type="submit"]');
        await waitText(page, '#phone-status',
                       NEW_PHONE.slice(0, 3) + '****' + NEW_PHONE.slice(7));
        await shot(page, 'accounts-phone.png');
    });

    await check('A11 the WeChat binding shows its QR code', async () => {
        await page.waitForSelector('#wx-begin:not([hidden])');
        await page.click('#wx-begin');
        await page.waitForFunction(() => {
            const img = document.getElementById('wx-qr');
            return img && img.complete && img.naturalWidth > 100;
        });
    });

    await check('the pages ran without script errors or CSP refusals',
                async () => {
        if (problems.length) {
            throw new Error(problems.join('\n'));
        }
    });

    await browser.close();
}

try {
    await main();

} catch (e) {
    report(false, 'the journey ran to its end', e && e.stack ? e.stack : e);
}

finish({ plan: false });
