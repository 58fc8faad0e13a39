/*
 * heao: the entry page: the batches of the year and the login form (A1)
 * with its slider captcha (A2, js/captcha.js).
 *
 * The format checks here mirror the server's so that a typing slip is
 * caught before a request; the server's answer stays the truth.
 */

'use strict';

(function () {

    var el = heao.el;
    var ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    var ID_CHECK = '10X98765432';
    var FIELDS = ['exam_no', 'id_no', 'password', 'totp', 'captcha_ticket'];
    var BATCHES_RETRY_MS = 10000;

    var captcha = null;


    /* full-width digits and letters as a Chinese input method types them */

    function halfWidth(s) {
        return s.replace(/[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]/g,
                         function (c) {
                             return String.fromCharCode(c.charCodeAt(0)
                                                        - 0xfee0);
                         })
                .replace(/[\s\u3000]/g, '');
    }


    function checkExamNo(v) {
        if (v === '') {
            return '请输入考生号';
        }

        if (!/^\d{14}$/.test(v)) {
            return '考生号应为14位数字';
        }

        if (v.substr(2, 2) !== '41') {
            return '考生号第3、4位应为41';
        }

        return null;
    }


    function realDate(y, m, d) {
        var t = new Date(Date.UTC(y, m - 1, d));

        return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1
               && t.getUTCDate() === d && y >= 1900;
    }


    /* GB 11643: 17 digits, then the ISO 7064 MOD 11-2 check character */

    function checkIdNo(v) {
        var sum = 0;
        var i;

        if (v === '') {
            return '请输入证件号码';
        }

        if (!/^\d{17}[\dX]$/.test(v)) {
            return '证件号码应为18位，前17位为数字，最后一位为数字或X';
        }

        if (!realDate(Number(v.substr(6, 4)), Number(v.substr(10, 2)),
                      Number(v.substr(12, 2))))
        {
            return '证件号码中的出生日期无效';
        }

        for (i = 0; i < 17; i++) {
            sum += Number(v.charAt(i)) * ID_WEIGHTS[i];
        }

        if (ID_CHECK.charAt(sum % 11) !== v.charAt(17)) {
            return '证件号码校验位不正确，请核对';
        }

        return null;
    }


    function checkPassword(v) {
        return v === '' ? '请输入登录密码' : null;
    }


    function setError(name, text) {
        var err = document.getElementById(name + '-err');
        var input = document.getElementById(name);

        err.textContent = text || '';
        err.hidden = !text;

        if (input && input.type !== 'hidden') {
            if (text) {
                input.setAttribute('aria-invalid', 'true');

            } else {
                input.removeAttribute('aria-invalid');
            }
        }
    }


    function showSummary(items) {
        var box = document.getElementById('login-summary');
        var list;

        box.textContent = '';

        if (!items.length) {
            box.hidden = true;
            return;
        }

        if (items.length === 1 && !items[0].field) {
            box.append(el('p', {text: items[0].text}));

        } else {
            box.append(el('p', {text: '请按提示修改后再登录：'}));
            list = el('ul');

            items.forEach(function (it) {
                var target = it.field === 'captcha_ticket' ? 'captcha'
                                                           : it.field;

                list.append(el('li', null, it.field
                    ? el('a', {href: '#' + target, 'data-focus': it.field,
                               text: it.text})
                    : it.text));
            });

            box.append(list);
        }

        box.hidden = false;
    }


    function clearErrors() {
        FIELDS.forEach(function (f) { setError(f, null); });
        showSummary([]);
    }


    function values() {
        var exam = document.getElementById('exam_no');
        var id = document.getElementById('id_no');

        /* a ticket past its time is dropped here, not sent */
        captcha.ticket();

        exam.value = halfWidth(exam.value);
        id.value = halfWidth(id.value).toUpperCase();

        return {
            exam_no: exam.value,
            id_no: id.value,
            password: document.getElementById('password').value,
            totp: document.getElementById('totp').value.trim(),
            captcha_ticket: document.getElementById('captcha_ticket').value
        };
    }


    function validate(v) {
        var items = [];
        var checks = {exam_no: checkExamNo(v.exam_no),
                      id_no: checkIdNo(v.id_no),
                      password: checkPassword(v.password)};

        Object.keys(checks).forEach(function (f) {
            setError(f, checks[f]);

            if (checks[f]) {
                items.push({field: f, text: checks[f]});
            }
        });

        return items;
    }


    /* the field at fault takes the focus; the captcha's is its widget */

    function focusField(field) {
        if (field === 'captcha_ticket') {
            captcha.focus();

        } else {
            document.getElementById(field).focus();
        }
    }


    async function submit(ev) {
        var btn = document.getElementById('login-btn');
        var v, items, body, r, text, field;

        ev.preventDefault();
        clearErrors();

        v = values();
        items = validate(v);

        if (items.length) {
            showSummary(items);
            document.getElementById(items[0].field).focus();
            return;
        }

        body = {exam_no: v.exam_no, id_no: v.id_no, password: v.password};

        if (v.captcha_ticket) {
            body.captcha_ticket = v.captcha_ticket;
        }

        /* A3: the code of a bound dynamic password, in the same form */
        if (v.totp) {
            body.totp = v.totp;
        }

        btn.disabled = true;
        btn.textContent = '正在登录…';

        try {
            r = await heao.api('POST', '/api/login', body, {auth: false});

        } catch (e) {
            showSummary([{text: '网络异常，请检查网络连接后重试。'}]);
            document.getElementById('login-summary').focus();
            return;

        } finally {
            btn.disabled = false;
            btn.textContent = '登录';

            /* the server spends a ticket on any answer: verify again */
            captcha.reset();
        }

        if (r.status === 200) {
            heao.storeCsrf(r.data.csrf);

            /* A14: an office-set password is changed first */
            location.assign(r.data.must_change_password ? 'account.html'
                                                        : 'home.html');
            return;
        }

        text = heao.message(r);
        field = r.data.field;

        if (r.status === 429 && typeof r.data.retry_after === 'number') {
            text += '（约' + Math.max(1, Math.ceil(r.data.retry_after / 60))
                    + '分钟后可再试）';
        }

        if ((r.status === 400 || field === 'totp')
            && FIELDS.indexOf(field) >= 0)
        {
            setError(field, text);
            showSummary([{field: field, text: text}]);
            focusField(field);
            return;
        }

        showSummary([{text: text}]);
        document.getElementById('login-summary').focus();
    }


    function renderBatches(data) {
        var box = document.getElementById('batches');
        var now = data.now;
        var batches = data.batches || [];
        var table, tbody;

        box.textContent = '';

        if (!batches.length) {
            box.append(el('p', {class: 'muted',
                                text: '暂无填报批次安排。'}));
            return;
        }

        tbody = el('tbody');

        batches.forEach(function (b) {
            var state = heao.batchState(b, now);

            tbody.append(el('tr', {class: 'state-' + state},
                el('th', {scope: 'row', text: b.name}),
                el('td', {'data-label': '填报时间'}, heao.windowEl(b)),
                el('td', {'data-label': '状态'},
                   el('span', {class: 'tag tag-' + state,
                               text: heao.STATE_TEXT[state]}))));
        });

        table = el('table', {class: 'list rtable'},
            el('caption', {class: 'sr-only', text: '填报批次与时间'}),
            el('thead', null, el('tr', null,
                el('th', {scope: 'col', text: '批次'}),
                el('th', {scope: 'col', text: '填报时间（北京时间）'}),
                el('th', {scope: 'col', text: '状态'}))),
            tbody);

        box.append(table);
    }


    async function loadBatches() {
        var box = document.getElementById('batches');
        var r;

        try {
            r = await heao.api('GET', '/api/batches', undefined,
                               {auth: false});

        } catch (e) {
            box.textContent = '批次信息加载失败，请刷新页面重试。';
            return;
        }

        if (r.status === 503) {
            box.textContent = '系统繁忙，批次信息稍后自动刷新。';
            setTimeout(loadBatches, BATCHES_RETRY_MS);
            return;
        }

        if (r.status !== 200) {
            box.textContent = heao.message(r);
            return;
        }

        heao.syncClock(r.data.now);
        renderBatches(r.data);
    }


    /*
     * I7: the office's announcements and notes as published now; the
     * page's own text stays when the API cannot be reached
     */

    function renderBulletin(id, items, none) {
        var list = document.getElementById(id);

        list.textContent = '';

        items.forEach(function (x) {
            list.append(el('li', null, el('span', {class: 'strong',
                                                   text: x.title}),
                           x.body ? el('p', {class: 'muted', text: x.body})
                                  : null));
        });

        if (!items.length) {
            list.append(el('li', {class: 'muted', text: none}));
        }
    }


    async function loadBulletin() {
        var r;

        try {
            r = await heao.api('GET', '/api/entry', undefined, {auth: false});

        } catch (e) {
            return;
        }

        if (r.status === 200) {
            renderBulletin('news', r.data.announcements || [],
                           '暂无新的公告。');
            renderBulletin('notes', r.data.notes || [], '暂无注意事项。');
        }
    }


    /* a candidate who is still logged in may go straight on */

    async function checkSession() {
        var box = document.getElementById('already');
        var s;

        try {
            s = await heao.session({auth: false});

        } catch (e) {
            return;
        }

        if (!s) {
            return;
        }

        box.textContent = '';
        box.append('您已登录（' + s.candidate.name + '，考生号 '
                   + s.candidate.exam_no + '）。',
                   el('a', {href: 'home.html', text: '进入考生主页'}));
        box.hidden = false;
    }


    function init() {
        var form = document.getElementById('login-form');

        if (heao.param('expired')) {
            document.getElementById('expired').hidden = false;
        }

        captcha = HeaoCaptcha.attach(document.getElementById('captcha'),
            function (ticket) {
                document.getElementById('captcha_ticket').value = ticket;

                if (ticket) {
                    setError('captcha_ticket', null);
                }
            },
            {describedby: 'captcha-hint captcha_ticket-err'});

        form.addEventListener('submit', submit);

        /* an error goes away as soon as its field is edited */
        form.addEventListener('input', function (ev) {
            if (FIELDS.indexOf(ev.target.id) >= 0) {
                setError(ev.target.id, null);
            }
        });

        document.getElementById('login-summary')
            .addEventListener('click', function (ev) {
                var target = ev.target.getAttribute('data-focus');

                if (target) {
                    ev.preventDefault();
                    focusField(target);
                }
            });

        loadBatches();
        loadBulletin();
        checkSession();
    }


    init();

})();
