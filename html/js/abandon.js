/*
 * heao: abandon.html?batch=: abandoning the group a batch belongs to
 * (V3).  The confirmation lists exactly the batches the abandon covers
 * (the whole group, B2); the proof asked for is the one the candidate
 * has bound: the dynamic password, else the 密码验证信息.
 */

'use strict';

(function () {

    var el = heao.el;


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


    async function submit(ev, batch, totp, box) {
        var form = ev.target;
        var input = byId(totp ? 'proof-totp' : 'proof-verify');
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

        if (value === '' || (totp && !/^\d{6,8}$/.test(value))) {
            err.textContent = totp ? '请输入动态密码' : '请输入密码验证信息';
            err.hidden = false;
            input.setAttribute('aria-invalid', 'true');
            input.focus();
            return;
        }

        proof = totp ? {type: 'totp', code: value}
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


    function render(box, batch, b, group, g, totp, now) {
        var list = el('ul', {id: 'abandon-batches'});
        var form;

        group.forEach(function (x) {
            list.append(el('li', null, el('strong', {text: x.name}),
                                       '（' + heao.fmtWindow(x) + '）'));
        });

        form = el('form', {id: 'abandon-form', novalidate: true},
            el('p', {id: 'abandon-status', class: 'status status-error',
                     role: 'alert', hidden: true}),
            totp ? field('proof-totp', '动态密码',
                         {inputmode: 'numeric', maxlength: '8',
                          autocomplete: 'one-time-code'},
                         '您已绑定动态密码，请输入动态密码令牌上的当前密码。')
                 : field('proof-verify', '密码验证信息',
                         {maxlength: '15'},
                         '请输入您设置的密码验证信息。'),
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
            submit(ev, batch, totp, box);
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
            rt = await heao.api('GET', '/api/totp');

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

        render(box, batch, b, group, g, rt.data.bound, now);
    }


    init();

})();
