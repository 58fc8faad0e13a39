/*
 * heao: helpers shared by the candidate pages.
 *
 * heao.api() wraps fetch for the JSON API (docs/API.md): it adds the
 * X-CSRF-Token header to every POST but the login, sends the candidate back
 * to the login page on 401, and shows the "system busy" banner on 503.
 * A network failure rejects with heao.NetworkError so that a caller can
 * offer a retry.
 */

'use strict';

(function () {

    var CSRF_KEY = 'heao.csrf';
    var DRAFT_PREFIX = 'heao.draft.';
    var REQUEST_TIMEOUT_MS = 20000;
    var BEIJING_OFFSET_S = 8 * 3600;        /* China has no daylight saving */

    var csrf = null;
    var clockOffset = 0;                    /* server time - local time, s */


    function NetworkError(cause) {
        this.name = 'NetworkError';
        this.message = '网络异常';
        this.cause = cause;
    }

    NetworkError.prototype = Object.create(Error.prototype);


    /* element builder: el('p', {class: 'x'}, 'text', child, ...) */

    function el(tag, attrs) {
        var node = document.createElement(tag);
        var i, k, child;

        if (attrs) {
            for (k in attrs) {
                if (attrs[k] === null || attrs[k] === undefined
                    || attrs[k] === false)
                {
                    continue;
                }

                if (k === 'text') {
                    node.textContent = attrs[k];

                } else if (attrs[k] === true) {
                    node.setAttribute(k, '');

                } else {
                    node.setAttribute(k, attrs[k]);
                }
            }
        }

        for (i = 2; i < arguments.length; i++) {
            child = arguments[i];

            if (child === null || child === undefined || child === false) {
                continue;
            }

            node.append(child instanceof Node ? child : String(child));
        }

        return node;
    }


    function storeCsrf(token) {
        csrf = token || null;

        try {
            if (csrf) {
                sessionStorage.setItem(CSRF_KEY, csrf);

            } else {
                sessionStorage.removeItem(CSRF_KEY);
            }

        } catch (e) {
            /* storage disabled: the token lives in memory only */
        }
    }


    function storedCsrf() {
        if (csrf) {
            return csrf;
        }

        try {
            csrf = sessionStorage.getItem(CSRF_KEY);

        } catch (e) {
            csrf = null;
        }

        return csrf;
    }


    function toLogin() {
        storeCsrf(null);
        location.replace('index.html?expired=1');
    }


    /* the banner for 503 answers: "系统繁忙，请稍后重试" */

    var busyTimer = null;
    var busyPath = null;                    /* the request that got a 503 */

    function showBusy(retryAfter) {
        var banner = document.getElementById('busy');
        var secs = /^\d+$/.test(retryAfter || '') ? Number(retryAfter) : 0;
        var text = '系统繁忙，请稍后重试';

        if (!banner) {
            banner = el('div', {id: 'busy', class: 'banner busy',
                                role: 'alert'});
            document.body.insertBefore(banner, document.body.firstChild);
        }

        if (secs > 0) {
            text += '（请约' + secs + '秒后再试）';
        }

        banner.textContent = text + '。';
        banner.hidden = false;

        clearTimeout(busyTimer);
        busyTimer = setTimeout(hideBusy, Math.max(secs, 10) * 1000);
    }


    function hideBusy() {
        var banner = document.getElementById('busy');

        if (banner) {
            banner.hidden = true;
        }
    }


    async function session(opts) {
        var r = await api('GET', '/api/session', undefined, opts);

        if (r.status === 200) {
            storeCsrf(r.data.csrf);
            return r.data;
        }

        return null;
    }


    async function csrfToken() {
        var token = storedCsrf();

        if (token) {
            return token;
        }

        await session();

        return storedCsrf() || '';
    }


    /*
     * api(method, path, body, opts): resolves to {status, ok, data, headers}
     * for every HTTP answer; data is the parsed JSON body or {}.
     * opts.auth === false: a 401 is returned instead of leaving the page.
     * opts.timeout: milliseconds before the request counts as lost.
     * opts.csrf === false: no X-CSRF-Token, for the public POSTs (captcha).
     */

    async function api(method, path, body, opts) {
        var headers = {'Accept': 'application/json'};
        var ctl = new AbortController();
        var payload, res, text, data, timer;

        opts = opts || {};

        if (body !== undefined) {
            headers['Content-Type'] = 'application/json';
            payload = typeof body === 'string' ? body : JSON.stringify(body);
        }

        if (method !== 'GET' && path !== '/api/login'
            && opts.csrf !== false)
        {
            headers['X-CSRF-Token'] = await csrfToken();
        }

        timer = setTimeout(function () { ctl.abort(); },
                           opts.timeout || REQUEST_TIMEOUT_MS);

        try {
            res = await fetch(path, {method: method, headers: headers,
                                     body: payload, cache: 'no-store',
                                     credentials: 'same-origin',
                                     signal: ctl.signal});
            text = await res.text();

        } catch (e) {
            throw new NetworkError(e);

        } finally {
            clearTimeout(timer);
        }

        data = null;

        if (text) {
            try {
                data = JSON.parse(text);

            } catch (e) {
                data = null;
            }
        }

        if (data === null || typeof data !== 'object') {
            data = {};
        }

        if (res.status === 403 && data.error === 'csrf' && !opts.retried) {
            storeCsrf(null);
            return api(method, path, body,
                       Object.assign({}, opts, {retried: true}));
        }

        if (res.status === 401 && opts.auth !== false) {
            toLogin();
            return new Promise(function () {});     /* the page is leaving */
        }

        /* A14: an office-set password is changed before anything else */
        if (res.status === 403 && data.error === 'password_change_required'
            && !/\/account\.html$/.test(location.pathname))
        {
            location.assign('account.html');
            return new Promise(function () {});
        }

        if (res.status === 503) {
            busyPath = path;
            showBusy(res.headers.get('Retry-After'));

        } else if (res.ok && path === busyPath) {
            hideBusy();
        }

        return {status: res.status, ok: res.ok, data: data,
                headers: res.headers};
    }


    /* the server's message for an answer, or a plain one by status */

    function message(r) {
        if (r.data && typeof r.data.message === 'string' && r.data.message) {
            return r.data.message;
        }

        switch (r.status) {
        case 503:
            return '系统繁忙，请稍后重试。';
        case 404:
            return '请求的内容不存在。';
        case 403:
            return '页面已过期，请刷新后重试。';
        default:
            return '服务器出错（' + r.status + '），请稍后重试。';
        }
    }


    /* server clock: pages sync it from /api/batches "now" */

    function syncClock(now) {
        if (typeof now === 'number') {
            clockOffset = now - Date.now() / 1000;
        }
    }


    function serverNow() {
        return Date.now() / 1000 + clockOffset;
    }


    function pad(n) {
        return (n < 10 ? '0' : '') + n;
    }


    /* Unix seconds to Beijing time: 2021年06月30日 17:30:00 */

    function fmtTime(t, short) {
        var d;

        if (typeof t !== 'number') {
            return '';
        }

        d = new Date((t + BEIJING_OFFSET_S) * 1000);

        if (short) {
            return pad(d.getUTCMonth() + 1) + '月' + pad(d.getUTCDate()) + '日 '
                   + pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes());
        }

        return d.getUTCFullYear() + '年' + pad(d.getUTCMonth() + 1) + '月'
               + pad(d.getUTCDate()) + '日 ' + pad(d.getUTCHours()) + ':'
               + pad(d.getUTCMinutes()) + ':' + pad(d.getUTCSeconds());
    }


    /*
     * Unix seconds to Beijing time as a letter writes a date, to the
     * minute: 2026年7月12日 17:00
     */

    function fmtDay(t) {
        var d;

        if (typeof t !== 'number') {
            return '';
        }

        d = new Date((t + BEIJING_OFFSET_S) * 1000);

        return d.getUTCFullYear() + '年' + (d.getUTCMonth() + 1) + '月'
               + d.getUTCDate() + '日 ' + pad(d.getUTCHours()) + ':'
               + pad(d.getUTCMinutes());
    }


    /* a batch name and 志愿 once: 本科一批征集志愿 ends in it already */

    function zhiyuan(name) {
        return /志愿$/.test(name) ? name : name + '志愿';
    }


    function fmtWindow(b) {
        return fmtTime(b.opens_at, true) + ' 至 ' + fmtTime(b.closes_at, true);
    }


    /* the same for a table cell: a narrow column breaks between the times */

    function windowEl(b) {
        return el('span', null,
                  el('span', {class: 'when', text: fmtTime(b.opens_at, true)}),
                  ' 至 ',
                  el('span', {class: 'when',
                              text: fmtTime(b.closes_at, true)}));
    }


    /* "open", "not_open" or "closed" for a batch of /api/batches */

    function batchState(b, now) {
        if (b.open) {
            return 'open';
        }

        return now < b.opens_at ? 'not_open' : 'closed';
    }


    var STATE_TEXT = {open: '正在填报', not_open: '未开始', closed: '已截止'};


    function param(name) {
        return new URLSearchParams(location.search).get(name);
    }


    /* a batch code as it may stand in a URL path segment */

    function batchParam() {
        var code = param('batch');

        return code && /^[0-9A-Za-z_-]{1,16}$/.test(code) ? code : null;
    }


    function draftKey(examNo, batch) {
        return DRAFT_PREFIX + examNo + '.' + batch;
    }


    /* forget the drafts of this candidate, e.g. on a shared computer */

    function dropDrafts(examNo) {
        var prefix = DRAFT_PREFIX + examNo + '.';
        var keys = [];
        var i;

        try {
            for (i = 0; i < localStorage.length; i++) {
                if (localStorage.key(i).indexOf(prefix) === 0) {
                    keys.push(localStorage.key(i));
                }
            }

            keys.forEach(function (k) { localStorage.removeItem(k); });

        } catch (e) {
            /* nothing stored */
        }
    }


    async function logout(examNo) {
        try {
            await api('POST', '/api/logout', {}, {auth: false});

        } catch (e) {
            /* the cookie goes when the session expires */
        }

        if (examNo) {
            dropDrafts(examNo);
        }

        storeCsrf(null);

        try {
            sessionStorage.clear();

        } catch (e) {
            /* nothing stored */
        }

        location.replace('index.html');
    }


    /* the unread count beside 只读邮件 in the menu (I1) */

    function showUnread(n) {
        var badge = document.getElementById('nav-unread');

        if (badge) {
            badge.textContent = n > 0 ? '（' + n + '）' : '';
            badge.hidden = !(n > 0);
        }
    }


    async function loadUnread() {
        var r;

        try {
            r = await api('GET', '/api/mailbox');

        } catch (e) {
            return;
        }

        if (r.status === 200) {
            showUnread(r.data.unread);
        }
    }


    /*
     * the header of logged-in pages: name, 安全退出 and the unread count
     * (the mailbox page shows its own: noUnread)
     */

    function showCandidate(s, noUnread) {
        var who = document.getElementById('who');
        var btn = document.getElementById('logout');

        if (who && s) {
            who.textContent = s.candidate.name + '（' + s.candidate.exam_no
                              + '）';
        }

        if (btn) {
            btn.hidden = false;
            btn.addEventListener('click', function () {
                btn.disabled = true;
                logout(s && s.candidate.exam_no);
            });
        }

        if (s && !noUnread && document.getElementById('nav-unread')) {
            loadUnread();
        }
    }


    window.heao = {
        NetworkError: NetworkError,
        api: api,
        session: session,
        storeCsrf: storeCsrf,
        message: message,
        el: el,
        syncClock: syncClock,
        now: serverNow,
        fmtTime: fmtTime,
        fmtDay: fmtDay,
        fmtWindow: fmtWindow,
        zhiyuan: zhiyuan,
        windowEl: windowEl,
        batchState: batchState,
        STATE_TEXT: STATE_TEXT,
        param: param,
        batchParam: batchParam,
        draftKey: draftKey,
        logout: logout,
        showCandidate: showCandidate,
        showUnread: showUnread
    };

})();
