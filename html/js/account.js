/*
 * heao: the account page: the password change (A14: the first thing after
 * an office-set password) and the dynamic password (A3): binding with the
 * QR code and a first code, unbinding with a code.
 */

'use strict';

(function () {

    var POLICY = /^(?=.*[A-Za-z])(?=.*[0-9])(?=.*[!-\/:-@\[-`{-~])[!-~]{8,32}$/;


    function setError(id, text) {
        var err = document.getElementById(id + '-err');
        var input = document.getElementById(id);

        err.textContent = text || '';
        err.hidden = !text;

        if (text) {
            input.setAttribute('aria-invalid', 'true');

        } else {
            input.removeAttribute('aria-invalid');
        }
    }


    function status(id, text, ok) {
        var box = document.getElementById(id);

        box.textContent = text || '';
        box.className = 'status ' + (ok ? 'status-ok' : 'status-error');
        box.hidden = !text;
    }


    async function changePassword(ev) {
        var oldPw = document.getElementById('old_password').value;
        var newPw = document.getElementById('new_password').value;
        var again = document.getElementById('new_password2').value;
        var btn = document.getElementById('pw-btn');
        var r, field;

        ev.preventDefault();
        ['old_password', 'new_password', 'new_password2']
            .forEach(function (f) { setError(f, null); });
        status('pw-status', null);

        if (!oldPw) {
            setError('old_password', '请输入原密码');
            document.getElementById('old_password').focus();
            return;
        }

        if (!POLICY.test(newPw)) {
            setError('new_password',
                     '新密码应为8至32个字符，须同时包含字母、数字和符号');
            document.getElementById('new_password').focus();
            return;
        }

        if (newPw !== again) {
            setError('new_password2', '两次输入的新密码不一致');
            document.getElementById('new_password2').focus();
            return;
        }

        btn.disabled = true;

        try {
            r = await heao.api('POST', '/api/password',
                               {old_password: oldPw, new_password: newPw});

        } catch (e) {
            status('pw-status', '网络异常，请检查网络连接后重试。');
            return;

        } finally {
            btn.disabled = false;
        }

        if (r.status === 200) {
            document.getElementById('pw-form').reset();
            document.getElementById('first').hidden = true;
            status('pw-status', '密码已修改，其他地方的登录已全部退出。', true);
            loadTotp();
            return;
        }

        field = r.data.field;

        if (field === 'old_password' || field === 'new_password') {
            setError(field, heao.message(r));
            document.getElementById(field).focus();
            return;
        }

        status('pw-status', heao.message(r));
    }


    function showTotp(bound) {
        document.getElementById('totp-state').textContent = bound
            ? '已绑定动态密码。登录时需输入动态密码器上显示的数字。'
            : '尚未绑定动态密码。绑定后，登录和找回密码更安全。';
        document.getElementById('totp-begin-area').hidden = bound;
        document.getElementById('totp-unbind-form').hidden = !bound;
        document.getElementById('totp-bind').hidden = true;
    }


    async function loadTotp() {
        var r;

        try {
            r = await heao.api('GET', '/api/totp');

        } catch (e) {
            document.getElementById('totp-state').textContent =
                '网络异常，请刷新页面重试。';
            return;
        }

        if (r.status === 403) {
            document.getElementById('totp-state').textContent =
                '修改招生办设置的密码后，才能绑定动态密码。';
            return;
        }

        if (r.status !== 200) {
            document.getElementById('totp-state').textContent =
                heao.message(r);
            return;
        }

        showTotp(r.data.bound);
    }


    async function beginTotp() {
        var r;

        status('totp-status', null);

        try {
            r = await heao.api('POST', '/api/totp/begin', {});

        } catch (e) {
            status('totp-status', '网络异常，请检查网络连接后重试。');
            return;
        }

        if (r.status !== 200) {
            status('totp-status', heao.message(r));
            return;
        }

        /* a new address each time: the picture is of this binding */
        document.getElementById('totp-qr').src = r.data.qr + '?t='
                                                 + Date.now();
        document.getElementById('totp-secret').textContent = r.data.secret;
        document.getElementById('totp-code').maxLength = r.data.digits;
        document.getElementById('totp-begin-area').hidden = true;
        document.getElementById('totp-bind').hidden = false;
        document.getElementById('totp-code').focus();
    }


    async function sendCode(ev, path, input) {
        var code = document.getElementById(input).value.trim();
        var r;

        ev.preventDefault();
        setError(input, null);
        status('totp-status', null);

        if (!/^[0-9]{6,8}$/.test(code)) {
            setError(input, '请输入动态密码器上显示的数字');
            document.getElementById(input).focus();
            return;
        }

        try {
            r = await heao.api('POST', path, {code: code});

        } catch (e) {
            status('totp-status', '网络异常，请检查网络连接后重试。');
            return;
        }

        if (r.status === 200) {
            document.getElementById(input).value = '';
            showTotp(r.data.bound);
            status('totp-status', r.data.bound ? '动态密码绑定成功。'
                                               : '已解除动态密码绑定。', true);
            return;
        }

        if (r.data.field === 'code') {
            setError(input, heao.message(r));
            document.getElementById(input).focus();
            return;
        }

        status('totp-status', heao.message(r));
    }


    async function init() {
        var s;

        try {
            s = await heao.session();

        } catch (e) {
            return;
        }

        if (!s) {
            return;
        }

        heao.showCandidate(s);
        document.getElementById('first').hidden = !s.must_change_password;

        document.getElementById('pw-form')
            .addEventListener('submit', changePassword);
        document.getElementById('totp-begin')
            .addEventListener('click', beginTotp);
        document.getElementById('totp-confirm-form')
            .addEventListener('submit', function (ev) {
                sendCode(ev, '/api/totp/confirm', 'totp-code');
            });
        document.getElementById('totp-unbind-form')
            .addEventListener('submit', function (ev) {
                sendCode(ev, '/api/totp/unbind', 'totp-unbind-code');
            });

        if (s.must_change_password) {
            document.getElementById('old_password').focus();
        }

        loadTotp();
    }


    init();

})();
