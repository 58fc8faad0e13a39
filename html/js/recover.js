/*
 * heao: the lost exam number (A7) and the password reset (A8) for
 * candidates who cannot log in.  The reset asks first who the candidate
 * is, then the proof the server names: the dynamic password, a code sent
 * by WeChat or SMS, or the 密码验证信息; then the new password.
 */

'use strict';

(function () {

    var POLICY = /^(?=.*[A-Za-z])(?=.*[0-9])(?=.*[!-\/:-@\[-`{-~])[!-~]{8,32}$/;
    var API_OPTS = {auth: false, csrf: false};

    var PROOF = {
        totp: {lead: '您已绑定动态密码，请输入动态密码器上显示的数字。',
               label: '动态密码', mode: 'numeric'},
        wechat: {lead: '验证码已通过微信公众号发送，5分钟内有效。',
                 label: '验证码', mode: 'numeric'},
        sms: {lead: '验证码已发送到手机', label: '验证码', mode: 'numeric'},
        verify_info: {lead: '请输入报名时设置的密码验证信息。',
                      label: '密码验证信息', mode: 'text'}
    };

    var examCaptcha = null;
    var resetCaptcha = null;
    var reset = null;                   /* {token, proof} of the start */


    function setError(id, text) {
        var err = document.getElementById(id + '-err');
        var input = document.getElementById(id);

        err.textContent = text || '';
        err.hidden = !text;

        if (input && text) {
            input.setAttribute('aria-invalid', 'true');

        } else if (input) {
            input.removeAttribute('aria-invalid');
        }
    }


    function status(id, text, ok) {
        var box = document.getElementById(id);

        box.textContent = text || '';
        box.className = 'status ' + (ok ? 'status-ok' : 'status-error');
        box.hidden = !text;
    }


    function wait(r) {
        var text = heao.message(r);

        if (r.status === 429 && typeof r.data.retry_after === 'number') {
            text += '（约' + Math.max(1, Math.ceil(r.data.retry_after / 60))
                    + '分钟后可再试）';
        }

        return text;
    }


    /* the field named by the answer, if the form has it */

    function fieldError(r, map, fallback, captcha) {
        var id = map[r.data.field];

        if (id) {
            setError(id, heao.message(r));

            if (r.data.field === 'captcha_ticket') {
                captcha.focus();

            } else {
                document.getElementById(id).focus();
            }

            return;
        }

        status(fallback, wait(r));
    }


    async function findExamNo(ev) {
        var serial = document.getElementById('reg_serial').value.trim();
        var pw = document.getElementById('reg_password').value;
        var name = document.getElementById('examno-name').value.trim();
        var ticket = examCaptcha.ticket();
        var body, r;

        ev.preventDefault();
        ['reg_serial', 'reg_password', 'examno-name', 'examno-captcha']
            .forEach(function (f) { setError(f, null); });
        status('examno-status', null);

        if (!/^[0-9A-Za-z]{6,20}$/.test(serial)) {
            setError('reg_serial', '请输入报名序号');
            document.getElementById('reg_serial').focus();
            return;
        }

        if (!pw) {
            setError('reg_password', '请输入注册密码');
            document.getElementById('reg_password').focus();
            return;
        }

        if (name.length < 2) {
            setError('examno-name', '请输入姓名');
            document.getElementById('examno-name').focus();
            return;
        }

        body = {reg_serial: serial, reg_password: pw, name: name};

        if (ticket) {
            body.captcha_ticket = ticket;
        }

        try {
            r = await heao.api('POST', '/api/recover/exam-no', body,
                               API_OPTS);

        } catch (e) {
            status('examno-status', '网络异常，请检查网络连接后重试。');
            return;

        } finally {
            examCaptcha.reset();
        }

        if (r.status === 200) {
            status('examno-status', '您的考生号是 ' + r.data.exam_no
                                    + '，请妥善保存。', true);
            document.getElementById('exam_no').value = r.data.exam_no;
            return;
        }

        fieldError(r, {reg_serial: 'reg_serial',
                       reg_password: 'reg_password', name: 'examno-name',
                       captcha_ticket: 'examno-captcha'}, 'examno-status',
                   examCaptcha);
    }


    async function startReset(ev) {
        var exam = document.getElementById('exam_no').value.trim();
        var id = document.getElementById('id_no').value.trim().toUpperCase();
        var name = document.getElementById('name').value.trim();
        var ticket = resetCaptcha.ticket();
        var body, r, p;

        ev.preventDefault();
        ['exam_no', 'id_no', 'name', 'reset-captcha']
            .forEach(function (f) { setError(f, null); });
        status('reset-status', null);

        if (!/^[0-9]{2}41[0-9]{10}$/.test(exam)) {
            setError('exam_no', '考生号应为14位数字');
            document.getElementById('exam_no').focus();
            return;
        }

        if (!/^[0-9]{17}[0-9X]$/.test(id)) {
            setError('id_no', '证件号码应为18位');
            document.getElementById('id_no').focus();
            return;
        }

        if (name.length < 2) {
            setError('name', '请输入姓名');
            document.getElementById('name').focus();
            return;
        }

        body = {exam_no: exam, id_no: id, name: name};

        if (ticket) {
            body.captcha_ticket = ticket;
        }

        try {
            r = await heao.api('POST', '/api/recover/start', body, API_OPTS);

        } catch (e) {
            status('reset-status', '网络异常，请检查网络连接后重试。');
            return;

        } finally {
            resetCaptcha.reset();
        }

        if (r.status !== 200) {
            fieldError(r, {exam_no: 'exam_no', id_no: 'id_no', name: 'name',
                           captcha_ticket: 'reset-captcha'},
                       'reset-status', resetCaptcha);
            return;
        }

        reset = {token: r.data.token, proof: r.data.proof};
        p = PROOF[r.data.proof];

        document.getElementById('proof-lead').textContent =
            r.data.proof === 'sms' ? p.lead + ' ' + r.data.sent_to
                                     + '，5分钟内有效。'
                                   : p.lead;
        document.getElementById('proof-label').textContent = p.label;
        document.getElementById('proof').inputMode = p.mode;
        document.getElementById('proof').type =
            r.data.proof === 'verify_info' ? 'password' : 'text';
        document.getElementById('resend-area').hidden =
            r.data.proof !== 'sms' && r.data.proof !== 'wechat';
        document.getElementById('reset-form').hidden = true;
        document.getElementById('proof-form').hidden = false;
        document.getElementById('proof').focus();
    }


    async function resend() {
        var r;

        status('reset-status', null);

        try {
            r = await heao.api('POST', '/api/recover/code',
                               {token: reset.token}, API_OPTS);

        } catch (e) {
            status('reset-status', '网络异常，请检查网络连接后重试。');
            return;
        }

        status('reset-status', r.status === 200 ? '验证码已重新发送。'
                                                : heao.message(r),
               r.status === 200);
    }


    async function finish(ev) {
        var value = document.getElementById('proof').value.trim();
        var pw = document.getElementById('new_password').value;
        var again = document.getElementById('new_password2').value;
        var proof, r;

        ev.preventDefault();
        ['proof', 'new_password', 'new_password2']
            .forEach(function (f) { setError(f, null); });
        status('reset-status', null);

        if (!value) {
            setError('proof', '请输入' + PROOF[reset.proof].label);
            document.getElementById('proof').focus();
            return;
        }

        if (!POLICY.test(pw)) {
            setError('new_password',
                     '新密码应为8至32个字符，须同时包含字母、数字和符号');
            document.getElementById('new_password').focus();
            return;
        }

        if (pw !== again) {
            setError('new_password2', '两次输入的新密码不一致');
            document.getElementById('new_password2').focus();
            return;
        }

        proof = reset.proof === 'verify_info'
                ? {type: 'verify_info', value: value}
                : {type: reset.proof === 'totp' ? 'totp' : 'code',
                   code: value};

        try {
            r = await heao.api('POST', '/api/recover/finish',
                               {token: reset.token, proof: proof,
                                new_password: pw}, API_OPTS);

        } catch (e) {
            status('reset-status', '网络异常，请检查网络连接后重试。');
            return;
        }

        if (r.status === 200) {
            document.getElementById('proof-form').hidden = true;
            status('reset-status', '密码已重置，请用新密码登录。', true);
            document.getElementById('reset-status').focus();
            return;
        }

        if (r.data.error === 'recover_expired') {
            document.getElementById('proof-form').hidden = true;
            document.getElementById('reset-form').hidden = false;
            status('reset-status', heao.message(r));
            return;
        }

        fieldError(r, {proof: 'proof', new_password: 'new_password'},
                   'reset-status', null);
    }


    function init() {
        document.getElementById('reset-status').tabIndex = -1;

        examCaptcha = HeaoCaptcha.attach(
            document.getElementById('examno-captcha'),
            function (ticket) {
                if (ticket) {
                    setError('examno-captcha', null);
                }
            },
            {describedby: 'examno-captcha-hint examno-captcha-err'});

        resetCaptcha = HeaoCaptcha.attach(
            document.getElementById('reset-captcha'),
            function (ticket) {
                if (ticket) {
                    setError('reset-captcha', null);
                }
            },
            {describedby: 'reset-captcha-hint reset-captcha-err'});

        document.getElementById('examno-form')
            .addEventListener('submit', findExamNo);
        document.getElementById('reset-form')
            .addEventListener('submit', startReset);
        document.getElementById('proof-form')
            .addEventListener('submit', finish);
        document.getElementById('resend').addEventListener('click', resend);
    }


    init();

})();
