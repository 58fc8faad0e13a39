/*
 * heao: notice.html?batch=CODE: the 志愿填报须知 (F13).  Accepting it
 * starts a fill session (POST /api/fill/CODE/begin); the answer is kept in
 * sessionStorage for the fill page.  When no change is allowed the
 * candidate goes to browse with the reason and the time (F12).
 */

'use strict';

(function () {

    var code = heao.batchParam();
    var el = heao.el;


    function say(text, link) {
        var box = document.getElementById('notice-msg');

        box.textContent = '';
        box.append(el('p', {text: text}));

        if (link) {
            box.append(el('p', null, el('a', {href: link.href,
                                              text: link.text})));
        }

        box.hidden = false;
        box.focus();
    }

    function toBrowse(data) {
        var q = new URLSearchParams();

        q.set('batch', code);
        q.set('reason', data.reason || 'no_change');

        if (typeof data.next_change_at === 'number') {
            q.set('next', String(data.next_change_at));
        }

        if (data.message) {
            q.set('msg', data.message);
        }

        location.assign('browse.html?' + q.toString());
    }


    async function agree(ev) {
        var btn = document.getElementById('agree');
        var accept = document.getElementById('accept');
        var err = document.getElementById('accept-err');
        var r;

        ev.preventDefault();

        if (!accept.checked) {
            err.textContent = '请先阅读志愿填报须知，'
                              + '并勾选“我已阅读以上内容”。';
            err.hidden = false;
            accept.setAttribute('aria-invalid', 'true');
            accept.focus();
            return;
        }

        btn.disabled = true;

        try {
            r = await heao.api('POST', '/api/fill/' + code + '/begin',
                               {accept_notice: true});

        } catch (e) {
            say('网络异常，请检查网络连接后重试。');
            return;

        } finally {
            btn.disabled = false;
        }

        if (r.status === 200) {
            r.data.received_at = Date.now();
            sessionStorage.setItem('heao.begin.' + code,
                                   JSON.stringify(r.data));
            location.assign('fill.html?batch=' + encodeURIComponent(code));
            return;
        }

        if (r.status === 409) {
            toBrowse(r.data);
            return;
        }

        say(heao.message(r), r.status === 404
                             ? {href: 'home.html', text: '返回考生主页'}
                             : null);
    }


    async function init() {
        var line = document.getElementById('batch-line');
        var s, rb, b;

        if (!code) {
            line.textContent = '未指定填报批次。';
            document.getElementById('agree').disabled = true;
            return;
        }

        document.getElementById('notice-form')
            .addEventListener('submit', agree);
        document.getElementById('accept')
            .addEventListener('change', function (ev) {
                if (ev.target.checked) {
                    document.getElementById('accept-err').hidden = true;
                    ev.target.removeAttribute('aria-invalid');
                }
            });

        try {
            s = await heao.session();
            heao.showCandidate(s);
            rb = await heao.api('GET', '/api/batches');

        } catch (e) {
            line.textContent = '网络异常，请检查网络后刷新页面。';
            return;
        }

        if (rb.status !== 200) {
            return;
        }

        b = (rb.data.batches || []).find(function (x) {
            return x.code === code;
        });

        if (!b) {
            line.textContent = '没有这个填报批次。';
            document.getElementById('agree').disabled = true;
            return;
        }

        document.title = '【' + b.name + '】志愿填报须知 - '
                         + '河南省普通高校招生考生服务平台';
        document.getElementById('notice-h').textContent =
            '【' + b.name + '】志愿填报须知';
        line.textContent = '填报时间：' + heao.fmtWindow(b)
                           + '（' + heao.STATE_TEXT[heao.batchState(
                                        b, rb.data.now)] + '）';
    }


    init();

})();
