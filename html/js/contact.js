/*
 * heao: the phone (A9: codes to the new number, and to the old one when
 * it changes), the 密码验证信息 (A10: with the login password) and the
 * WeChat binding (A11: a QR code the official account completes).
 */

'use strict';

(function () {

    var PHONE = /^1[3-9][0-9]{9}$/;
    var CODE = /^[0-9]{6}$/;
    var VERIFY = /^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{1,15}$/;


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


    async function post(path, body, where) {
        try {
            return await heao.api('POST', path, body);

        } catch (e) {
            status(where, '网络异常，请检查网络连接后重试。');
            return null;
        }
    }


    async function sendCode(purpose) {
        var phone = document.getElementById('phone').value.trim();
        var body = {purpose: purpose};
        var r;

        setError('phone', null);
        status('phone-status', null);

        if (purpose === 'phone_new') {
            if (!PHONE.test(phone)) {
                setError('phone', '手机号码应为11位数字');
                document.getElementById('phone').focus();
                return;
            }

            body.phone = phone;
        }

        r = await post('/api/code', body, 'phone-status');

        if (r === null) {
            return;
        }

        if (r.status === 200) {
            status('phone-status', (purpose === 'phone_new' ? '新' : '原')
                   + '手机号码的验证码已发送，5分钟内有效。', true);
            document.getElementById(purpose === 'phone_new' ? 'code'
                                                            : 'old_code')
                .focus();
            return;
        }

        if (r.data.field === 'phone') {
            setError('phone', heao.message(r));
            return;
        }

        status('phone-status', heao.message(r));
    }


    async function savePhone(ev) {
        var phone = document.getElementById('phone').value.trim();
        var code = document.getElementById('code').value.trim();
        var old = document.getElementById('old_code').value.trim();
        var body, r;

        ev.preventDefault();
        ['phone', 'code', 'old_code']
            .forEach(function (f) { setError(f, null); });
        status('phone-status', null);

        if (!PHONE.test(phone)) {
            setError('phone', '手机号码应为11位数字');
            document.getElementById('phone').focus();
            return;
        }

        if (!CODE.test(code)) {
            setError('code', '请输入6位验证码');
            document.getElementById('code').focus();
            return;
        }

        body = {phone: phone, code: code};

        if (old) {
            body.old_code = old;
        }

        r = await post('/api/phone', body, 'phone-status');

        if (r === null) {
            return;
        }

        if (r.status === 200) {
            document.getElementById('phone-form').reset();
            status('phone-status', '手机号码已保存：' + r.data.phone, true);
            return;
        }

        if (['phone', 'code', 'old_code'].indexOf(r.data.field) >= 0) {
            setError(r.data.field, heao.message(r));
            document.getElementById(r.data.field).focus();
            return;
        }

        status('phone-status', heao.message(r));
    }


    async function saveVerify(ev) {
        var pw = document.getElementById('vi-password').value;
        var value = document.getElementById('vi-value').value.trim();
        var r;

        ev.preventDefault();
        setError('vi-password', null);
        setError('vi-value', null);
        status('vi-status', null);

        if (!pw) {
            setError('vi-password', '请输入登录密码');
            document.getElementById('vi-password').focus();
            return;
        }

        if (!VERIFY.test(value)) {
            setError('vi-value', '密码验证信息应为1至15个汉字，不含标点');
            document.getElementById('vi-value').focus();
            return;
        }

        r = await post('/api/verify-info', {password: pw, value: value},
                       'vi-status');

        if (r === null) {
            return;
        }

        if (r.status === 200) {
            document.getElementById('vi-form').reset();
            status('vi-status', '密码验证信息已重设。', true);
            return;
        }

        if (r.data.field === 'password' || r.data.field === 'value') {
            setError(r.data.field === 'password' ? 'vi-password'
                                                 : 'vi-value',
                     heao.message(r));
            return;
        }

        status('vi-status', heao.message(r));
    }


    function showWechat(bound) {
        document.getElementById('wx-state').textContent = bound
            ? '已绑定微信。登录、保存和放弃志愿的通知会同时发送到微信。'
            : '尚未绑定微信。';
        document.getElementById('wx-begin').hidden = bound;
        document.getElementById('wx-unbind').hidden = !bound;
        document.getElementById('wx-bind').hidden = true;
    }


    async function loadWechat() {
        var r;

        try {
            r = await heao.api('GET', '/api/wechat');

        } catch (e) {
            document.getElementById('wx-state').textContent =
                '网络异常，请刷新页面重试。';
            return;
        }

        if (r.status !== 200) {
            document.getElementById('wx-state').textContent =
                heao.message(r);
            return;
        }

        showWechat(r.data.bound);
    }


    async function beginWechat() {
        var r = await post('/api/wechat/begin', {}, 'wx-status');

        if (r === null) {
            return;
        }

        if (r.status !== 200) {
            status('wx-status', heao.message(r));
            return;
        }

        document.getElementById('wx-qr').src = r.data.qr + '?t='
                                               + Date.now();
        document.getElementById('wx-begin').hidden = true;
        document.getElementById('wx-bind').hidden = false;
    }


    async function unbindWechat() {
        var r = await post('/api/wechat/unbind', {}, 'wx-status');

        if (r === null) {
            return;
        }

        if (r.status === 200) {
            showWechat(false);
            status('wx-status', '已解除微信绑定。', true);
            return;
        }

        status('wx-status', heao.message(r));
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

        document.getElementById('send-new').addEventListener('click',
            function () { sendCode('phone_new'); });
        document.getElementById('send-old').addEventListener('click',
            function () { sendCode('phone_old'); });
        document.getElementById('phone-form')
            .addEventListener('submit', savePhone);
        document.getElementById('vi-form')
            .addEventListener('submit', saveVerify);
        document.getElementById('wx-begin')
            .addEventListener('click', beginWechat);
        document.getElementById('wx-unbind')
            .addEventListener('click', unbindWechat);

        loadWechat();
    }


    init();

})();
