/*
 * heao: abandon.html?batch=: abandoning the group a batch belongs to
 * (V3).  The confirmation lists exactly the batches the abandon covers
 * (the whole group, B2); the proof asked for is the one GET /api/proof
 * names, in A8's order: the dynamic password, else a code sent by WeChat
 * or SMS (POST /api/code), else the 密码验证信息.
 */

'use strict';

(function () {

    var el = heao.el;
    var RESEND_S = 60;          /* a new code at most once a minute */
    var timer = null;


    function byId(id) {
        return document.getElementById(id);
    }


    function field(id, label, attrs, hint) {
        return el('div', {class: 'field'},
            el('label', {for: id, text: label}),
            el('input', Object.assign({id: id, name: id, type: 'text',
                                       spellcheck: 'false',
                                       autocomplete: 'off',
                                       'aria-describedby': id + '-hint '
                                                           + id + '-err',
                                       required: true}, attrs)),
            el('p', {class: 'hint', id: id + '-hint', text: hint}),
            el('p', {class: 'err', id: id + '-err', hidden: true}));
    }


    function inputId(proof) {
        return proof === 'totp' ? 'proof-totp'
               : proof === 'code' ? 'proof-code' : 'proof-verify';
    }


    /* the send button waits N seconds, saying so, then offers a new code */

    function countdown(button, n) {
        clearInterval(timer);
        button.disabled = true;
        button.textContent = n + '秒后重新获取';

        timer = setInterval(function () {
            if (--n > 0) {
                button.textContent = n + '秒后重新获取';
                return;
            }

            clearInterval(timer);
            button.disabled = false;
            button.textContent = '重新获取验证码';
        }, 1000);
    }


    async function sendCode(button, kind) {
        var msg = byId('proof-code-msg');
        var r;

        button.disabled = true;
        msg.classList.remove('status-error');

        try {
            r = await heao.api('POST', '/api/code', {purpose: 'abandon'});

        } catch (e) {
            r = {status: 0, data: {message: '网络异常，请检查网络后重试。'}};
        }

        if (r.status === 200) {
            msg.textContent = '验证码已通过'
                              + (r.data.channel === 'wechat'
                                 ? '微信发送'
                                 : '短信发送至' + (kind.sent_to || '您的手机'))
                              + '，' + Math.round(r.data.expires_in / 60)
                              + '分钟内有效。';
            msg.hidden = false;
            countdown(button, RESEND_S);
            byId('proof-code').focus();
            return;
        }

        msg.textContent = heao.message(r);
        msg.classList.add('status-error');
        msg.hidden = false;

        if (r.status === 429 && r.data.retry_after > 0) {
            countdown(button, r.data.retry_after);
            return;
        }

        button.disabled = false;
    }


    function proofField(kind) {
        var f, button;

        if (kind.proof === 'totp') {
            return field('proof-totp', '动态密码',
                         {inputmode: 'numeric', maxlength: '8',
                          autocomplete: 'one-time-code'},
                         '您已绑定动态密码，请输入动态密码令牌上的当前密码。');
        }

        if (kind.proof !== 'code') {
            return field('proof-verify', '密码验证信息', {maxlength: '15'},
                         '请输入您设置的密码验证信息。');
        }

        f = field('proof-code', '验证码',
                  {inputmode: 'numeric', maxlength: '6',
                   autocomplete: 'one-time-code'},
                  kind.channel === 'wechat'
                  ? '验证码将通过微信发送，请输入收到的6位验证码。'
                  : '验证码将以短信发送至' + (kind.sent_to || '您的手机')
                    + '，请输入收到的6位验证码。');

        button = el('button', {type: 'button', id: 'send-code',
                               text: '获取验证码'});
        button.addEventListener('click', function () {
            sendCode(button, kind);
        });

        f.insertBefore(el('p', {class: 'actions'}, button,
                           el('span', {id: 'proof-code-msg',
                                       class: 'status', role: 'status',
                                       hidden: true})),
                       f.querySelector('.hint'));

        return f;
    }


    function done(box, data) {
        var list = el('ul', {id: 'abandoned-batches'});

        data.batches.forEach(function (b) {
            list.append(el('li', {text: b.name}));
        });

        box.textContent = '';
        box.append(
            el('p', {class: 'banner ok', role: 'status', id: 'abandon-done',
                     text: '您已于' + heao.fmtTime(data.abandoned_at)
                           + '放弃以下批次的志愿，已保存的志愿作废，'
                           + '这些批次不能再次填报：'}),
            list,
            el('p', {class: 'actions'},
                el('a', {class: 'button', href: 'browse.html',
                         text: '浏览志愿'}),
                el('a', {class: 'button', href: 'mailbox.html',
                         text: '查看只读邮件'})));
    }


    async function submit(ev, batch, kind, box) {
        var form = ev.target;
        var input = byId(inputId(kind.proof));
        var err = byId(input.id + '-err');
        var status = byId('abandon-status');
        var value = input.value.trim();
        var proof, r;

        ev.preventDefault();
        err.hidden = true;
        input.removeAttribute('aria-invalid');
        status.hidden = true;

        if (!byId('confirm').checked) {
            status.textContent = '请先勾选确认放弃以上批次的志愿。';
            status.hidden = false;
            byId('confirm').focus();
            return;
        }

        if (value === ''
            || (kind.proof === 'totp' && !/^\d{6,8}$/.test(value))
            || (kind.proof === 'code' && !/^\d{6}$/.test(value)))
        {
            err.textContent = kind.proof === 'totp' ? '请输入动态密码'
                              : kind.proof === 'code' ? '请输入6位验证码'
                              : '请输入密码验证信息';
            err.hidden = false;
            input.setAttribute('aria-invalid', 'true');
            input.focus();
            return;
        }

        proof = kind.proof === 'totp' ? {type: 'totp', code: value}
                : kind.proof === 'code' ? {type: 'code', code: value}
                : {type: 'verify_info', value: value};

        form.querySelector('button[type="submit"]').disabled = true;

        try {
            r = await heao.api('POST', '/api/abandon/'
                                       + encodeURIComponent(batch),
                               {proof: proof});

        } catch (e) {
            r = {status: 0, data: {message: '网络异常，请检查网络后重试。'}};
        }

        form.querySelector('button[type="submit"]').disabled = false;

        if (r.status === 200) {
            clearInterval(timer);
            done(box, r.data);
            return;
        }

        if (r.data.field === 'proof') {
            err.textContent = heao.message(r);
            err.hidden = false;
            input.setAttribute('aria-invalid', 'true');
            input.select();
            return;
        }

        status.textContent = heao.message(r);
        status.hidden = false;
    }


    function render(box, batch, b, group, g, kind, now) {
        var list = el('ul', {id: 'abandon-batches'});
        var form;

        group.forEach(function (x) {
            list.append(el('li', null, el('strong', {text: x.name}),
                                       '（' + heao.fmtWindow(x) + '）'));
        });

        form = el('form', {id: 'abandon-form', novalidate: true},
            el('p', {id: 'abandon-status', class: 'status status-error',
                     role: 'alert', hidden: true}),
            proofField(kind),
            el('p', {class: 'check'},
                el('input', {type: 'checkbox', id: 'confirm'}),
                el('label', {for: 'confirm',
                             text: '我已知晓：放弃后以上批次的志愿全部作废，'
                                   + '且不能再次填报。'})),
            el('p', {class: 'actions'},
                el('button', {type: 'submit', class: 'danger',
                              text: '确认放弃'}),
                el('a', {class: 'button', href: 'browse.html',
                         text: '取消'})));

        form.addEventListener('submit', function (ev) {
            submit(ev, batch, kind, box);
        });

        box.textContent = '';
        box.append(
            el('div', {class: 'banner warn', role: 'alert'},
                el('p', {class: 'strong',
                         text: '放弃志愿后不能再次填报，考生只是想修改志愿时，'
                               + '切勿进行放弃操作。'})),
            el('p', {text: group.length > 1
                           ? '【' + b.name + '】与下列批次属于同一志愿组，'
                             + '本次放弃将作废下列全部批次的志愿：'
                           : '本次放弃将作废下列批次的志愿：'}),
            list,
            el('p', {class: 'muted', id: 'abandon-current',
                     text: g ? '您当前保存的是【' + g.batch_name + '】志愿，'
                               + '已保存' + g.saves_used + '次。'
                             : '您尚未保存本组志愿，放弃后也不能再填报。'}),
            form);
    }


    async function init() {
        var box = byId('abandon');
        var batch = heao.batchParam();
        var s, rb, rv, rt, b, g, group, now;

        if (!batch) {
            box.textContent = '请从浏览志愿页面选择要放弃的批次。';
            return;
        }

        try {
            s = await heao.session();
            rb = await heao.api('GET', '/api/batches');
            rv = await heao.api('GET', '/api/browse');
            rt = await heao.api('GET', '/api/proof');

        } catch (e) {
            box.textContent = '网络异常，请检查网络后刷新页面。';
            return;
        }

        heao.showCandidate(s);

        if (rb.status !== 200 || rv.status !== 200 || rt.status !== 200) {
            box.textContent = heao.message(rb.status !== 200 ? rb
                                           : rv.status !== 200 ? rv : rt);
            return;
        }

        heao.syncClock(rb.data.now);
        now = heao.now();

        b = (rb.data.batches || []).filter(function (x) {
            return x.code === batch;
        })[0];

        if (!b) {
            box.textContent = '没有这个批次。';
            return;
        }

        group = rb.data.batches.filter(function (x) {
            return (x.group || x.code) === (b.group || b.code);
        });
        g = (rv.data.groups || []).filter(function (x) {
            return x.group === (b.group || b.code);
        })[0];

        if (g && g.abandoned) {
            box.textContent = '您已放弃【' + g.batch_name + '】志愿。';
            return;
        }

        if (heao.batchState(b, now) !== 'open') {
            box.textContent = '【' + b.name + '】不在填报时间内，不能放弃。';
            return;
        }

        render(box, batch, b, group, g, rt.data, now);
    }


    init();

})();
