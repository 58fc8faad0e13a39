/*
 * heao: the slider captcha of the public forms (A2).
 *
 * HeaoCaptcha.attach(container, onTicket, opts) builds the widget inside
 * container: the 点击进行验证 bar opens a challenge (POST /api/captcha),
 * the piece is slid along the track with a mouse or a finger (pointer
 * events) or with the keyboard (arrows, PageUp, PageDown, Home, End), and
 * letting go (or Enter) sends its offset to /api/captcha/verify.
 *
 * onTicket(ticket) hears the one-use ticket when the answer is right, and
 * '' when the ticket is spent, expired or dropped.  opts.describedby names
 * the hint and error of the form field for the bar.  attach() returns
 * {reset, ticket, focus}: reset() after every submission that sent the
 * ticket (the server burns it, whatever the answer), ticket() is the live
 * ticket or '', focus() puts the focus where the candidate acts next.
 *
 * The image is shown at whatever width the form leaves it: offsets are
 * kept in image pixels, the piece and the handle placed in percentages,
 * and a drag converts screen pixels back with the drawn scale.
 */

'use strict';

(function () {

    var el = heao.el;
    var KEY_STEP = 1;                   /* image pixels per arrow key */
    var PAGE_STEP = 10;                 /* per PageUp, PageDown */
    var TICKET_MARGIN_S = 5;            /* let the ticket go this early */
    var TICKET_TTL_S = 120;             /* if the answer does not say */
    var FAIL_PAUSE_MS = 800;            /* the red track, then a new one */
    var API_OPTS = {auth: false, csrf: false};

    var OPEN = {loading: true, ready: true, dragging: true, verifying: true,
                failed: true};

    var BAR_TEXT = {idle: '点击进行验证', passed: '验证通过',
                    open: '请完成安全验证'};

    var seq = 0;


    function attach(container, onTicket, opts) {
        var prefix, bar, barText, panel, stage, bg, piece, track, fill;
        var handle, refresh, status;

        var state = 'idle';
        var ch = null;                  /* the challenge on show */
        var offset = 0;                 /* the piece's left edge, image px */
        var gen = 0;                    /* drops answers to older requests */
        var drag = null;
        var ticket = '';
        var ticketUntil = 0;            /* ms since the epoch */
        var ticketTimer = null;

        opts = opts || {};
        prefix = container.id || 'heao-captcha-' + (++seq);


        function say(text, kind) {
            status.textContent = text || '';
            status.className = 'captcha-status'
                               + (kind ? ' status-' + kind : '')
                               + (kind === 'ok' ? ' sr-only' : '');
        }


        function max() {
            return ch ? ch.width - ch.pieceWidth : 0;
        }


        function place() {
            var w = ch ? ch.width : 1;
            var pw = ch ? ch.pieceWidth : 0;

            piece.style.left = (offset / w * 100) + '%';
            handle.style.left = (offset / w * 100) + '%';
            fill.style.width = offset ? ((offset + pw / 2) / w * 100) + '%'
                                      : '0';

            container.classList.toggle('moved', offset > 0);
            handle.setAttribute('aria-valuenow', String(offset));
            handle.setAttribute('aria-valuetext',
                                '滑块位置 ' + offset + '，最大 ' + max());
        }


        /* the sizes of the challenge, in percentages of the drawn image */

        function size() {
            stage.style.aspectRatio = ch.width + ' / ' + ch.height;
            piece.style.width = (ch.pieceWidth / ch.width * 100) + '%';
            piece.style.height = (ch.pieceHeight / ch.height * 100) + '%';
            piece.style.top = (ch.y / ch.height * 100) + '%';
            handle.style.width = (ch.pieceWidth / ch.width * 100) + '%';
            handle.setAttribute('aria-valuemax', String(max()));
        }


        function render() {
            var open = OPEN[state] === true;

            container.setAttribute('data-state', state);

            bar.setAttribute('aria-expanded', open ? 'true' : 'false');
            barText.textContent = open ? BAR_TEXT.open : BAR_TEXT[state];

            if (state === 'passed') {
                bar.setAttribute('aria-disabled', 'true');

            } else {
                bar.removeAttribute('aria-disabled');
            }

            panel.hidden = !open;

            if (state === 'ready' || state === 'dragging') {
                handle.removeAttribute('aria-disabled');

            } else {
                handle.setAttribute('aria-disabled', 'true');
            }

            /* not disabled: a disabled button would drop the focus */
            refresh.setAttribute('aria-disabled',
                                 state === 'loading' || state === 'verifying'
                                 ? 'true' : 'false');
            place();
        }


        /* the panel closes: the focus must not stay on a hidden control */

        function settle(hadFocus) {
            render();

            if (hadFocus && panel.hidden) {
                bar.focus();
            }
        }


        function focusInside() {
            return panel.contains(document.activeElement);
        }


        function dropTicket() {
            clearTimeout(ticketTimer);
            ticketTimer = null;

            if (ticket) {
                ticket = '';
                onTicket('');
            }
        }


        /* back to the bar with a word why: busy, network, unknown answer */

        function trouble(text) {
            var had = focusInside();

            gen++;
            drag = null;
            state = 'idle';
            say(text, 'error');
            settle(had);
        }


        async function load() {
            var my = ++gen;
            var r, d;

            drag = null;
            ch = null;
            offset = 0;
            state = 'loading';
            render();

            try {
                r = await heao.api('POST', '/api/captcha', {}, API_OPTS);

            } catch (e) {
                if (my === gen) {
                    trouble('网络异常，验证图片未能加载，请重试。');
                }

                return;
            }

            if (my !== gen) {
                return;
            }

            d = r.data;

            if (r.status !== 200 || typeof d.id !== 'string'
                || typeof d.background !== 'string'
                || typeof d.piece !== 'string'
                || !(d.width > d.piece_width && d.piece_width > 0)
                || !(d.height >= d.piece_height && d.piece_height > 0)
                || typeof d.y !== 'number')
            {
                trouble(r.status === 200 ? '验证图片有误，请重试。'
                                         : heao.message(r));
                return;
            }

            ch = {id: d.id, width: d.width, height: d.height,
                  pieceWidth: d.piece_width, pieceHeight: d.piece_height,
                  y: d.y};

            bg.src = d.background;
            piece.src = d.piece;

            try {
                await Promise.all([bg.decode(), piece.decode()]);

            } catch (e) {
                /* shown as the browser manages */
            }

            if (my !== gen) {
                return;
            }

            size();
            state = 'ready';
            render();
        }


        function pass(d) {
            var had = focusInside();
            var ttl = typeof d.expires_in === 'number' ? d.expires_in
                                                         : TICKET_TTL_S;

            ttl = Math.max(1, ttl - TICKET_MARGIN_S);

            dropTicket();
            ticket = d.ticket;
            ticketUntil = Date.now() + ttl * 1000;
            ticketTimer = setTimeout(expire, ttl * 1000);

            state = 'passed';
            say('验证通过', 'ok');
            settle(had);

            onTicket(ticket);
        }


        /* the ticket ran out unused: ask again */

        function expire() {
            if (state !== 'passed') {
                return;
            }

            dropTicket();
            state = 'idle';
            say('验证已过期，请重新验证。', 'info');
            render();
        }


        async function verify() {
            var my = ++gen;
            var r, err;

            state = 'verifying';
            say('', null);
            render();

            try {
                r = await heao.api('POST', '/api/captcha/verify',
                                   {id: ch.id, x: offset}, API_OPTS);

            } catch (e) {
                if (my === gen) {
                    trouble('网络异常，请重新验证。');
                }

                return;
            }

            if (my !== gen) {
                return;
            }

            err = r.data.error;

            if (r.status === 200 && typeof r.data.ticket === 'string') {
                pass(r.data);
                return;
            }

            if (r.status === 400 && err === 'captcha_failed') {
                state = 'failed';
                say('验证未通过，请重新验证', 'error');
                render();

                setTimeout(function () {
                    if (my === gen) {
                        load();
                    }
                }, FAIL_PAUSE_MS);

                return;
            }

            if (r.status === 400
                && (err === 'captcha_expired' || r.data.field === 'id'))
            {
                say('验证已过期，已换一张图片，请重新拖动滑块。', 'info');
                load();
                return;
            }

            trouble(heao.message(r));
        }


        function move(to) {
            offset = Math.max(0, Math.min(max(), Math.round(to)));
            place();
        }


        function open() {
            say('', null);
            load();
            handle.focus();
        }


        function close() {
            gen++;
            drag = null;
            state = 'idle';
            say('', null);
            render();
            bar.focus();
        }


        function onBar() {
            if (state === 'passed') {
                return;
            }

            if (OPEN[state]) {
                close();

            } else {
                open();
            }
        }


        function onKey(ev) {
            var to;

            switch (ev.key) {
            case 'ArrowRight':
            case 'ArrowUp':
                to = offset + KEY_STEP;
                break;
            case 'ArrowLeft':
            case 'ArrowDown':
                to = offset - KEY_STEP;
                break;
            case 'PageUp':
                to = offset + PAGE_STEP;
                break;
            case 'PageDown':
                to = offset - PAGE_STEP;
                break;
            case 'Home':
                to = 0;
                break;
            case 'End':
                to = max();
                break;
            case 'Enter':
            case ' ':
                to = null;
                break;
            default:
                return;
            }

            ev.preventDefault();

            if (state !== 'ready') {
                return;
            }

            if (to !== null) {
                if (status.classList.contains('status-error')) {
                    say('', null);
                }

                move(to);
                return;
            }

            if (offset === 0) {
                say('请先将滑块向右移到缺口处，再按回车键确认。', 'info');
                return;
            }

            verify();
        }


        function onDown(ev) {
            if (state !== 'ready'
                || (ev.pointerType === 'mouse' && ev.button !== 0))
            {
                return;
            }

            /* no text selection, no compatibility mouse events */
            ev.preventDefault();
            handle.focus();

            try {
                handle.setPointerCapture(ev.pointerId);

            } catch (e) {
                /* the pointer is gone already: moves come while over it */
            }

            drag = {id: ev.pointerId, x0: ev.clientX, from: offset,
                    scale: track.getBoundingClientRect().width / ch.width};

            state = 'dragging';
            say('', null);
            render();
        }


        function onMove(ev) {
            if (drag && ev.pointerId === drag.id && drag.scale > 0) {
                move(drag.from + (ev.clientX - drag.x0) / drag.scale);
            }
        }


        function onUp(ev) {
            if (!drag || ev.pointerId !== drag.id) {
                return;
            }

            /* the last moves may come coalesced into the release */
            onMove(ev);

            drag = null;
            state = 'ready';

            if (offset > 0) {
                verify();

            } else {
                render();
            }
        }


        /* the browser took the pointer (a scroll, a call): start over */

        function onCancel(ev) {
            if (!drag || ev.pointerId !== drag.id) {
                return;
            }

            drag = null;
            state = 'ready';
            offset = 0;
            render();
        }


        /* the widget */

        bar = el('button', {type: 'button', class: 'captcha-bar',
                            id: prefix + '-open',
                            'aria-expanded': 'false',
                            'aria-controls': prefix + '-panel',
                            'aria-describedby': opts.describedby || null},
                 el('span', {class: 'captcha-icon', 'aria-hidden': 'true'}),
                 barText = el('span', {class: 'captcha-bar-text'}));

        refresh = el('button', {type: 'button', class: 'captcha-refresh',
                                'aria-label': '换一张验证图片'}, '换一张');

        bg = el('img', {class: 'captcha-bg',
                        alt: '验证图片：背景中有几处缺口，一处与拼图形状相同',
                        draggable: 'false'});
        piece = el('img', {class: 'captcha-piece', alt: '',
                           draggable: 'false'});

        stage = el('div', {class: 'captcha-stage'}, bg, piece,
                   el('p', {class: 'captcha-loading', text: '正在加载…'}));

        handle = el('div', {class: 'captcha-handle', role: 'slider',
                            tabindex: '0', 'aria-label': '拼图滑块',
                            'aria-orientation': 'horizontal',
                            'aria-valuemin': '0', 'aria-valuemax': '0',
                            'aria-valuenow': '0',
                            'aria-describedby': prefix + '-keys'});

        fill = el('div', {class: 'captcha-fill'});

        track = el('div', {class: 'captcha-track'}, fill,
                   el('span', {class: 'captcha-track-text',
                               'aria-hidden': 'true',
                               text: '向右拖动滑块填充拼图'}),
                   handle);

        panel = el('div', {class: 'captcha-panel', id: prefix + '-panel',
                           hidden: true},
                   el('div', {class: 'captcha-head'},
                      el('span', {class: 'captcha-title',
                                  text: '拖动下方滑块完成拼图'}),
                      refresh),
                   stage, track,
                   el('p', {class: 'captcha-keys', id: prefix + '-keys',
                            text: '拖动滑块使拼图嵌入形状相同的缺口；'
                                  + '也可用方向键移动滑块，按回车键确认。'}));

        status = el('p', {class: 'captcha-status', role: 'status'});

        container.classList.add('captcha');
        container.textContent = '';
        container.append(bar, panel, status);

        bar.addEventListener('click', onBar);
        refresh.addEventListener('click', function () {
            if (refresh.getAttribute('aria-disabled') !== 'true') {
                say('', null);
                load();
            }
        });

        handle.addEventListener('keydown', onKey);
        handle.addEventListener('pointerdown', onDown);
        handle.addEventListener('pointermove', onMove);
        handle.addEventListener('pointerup', onUp);
        handle.addEventListener('pointercancel', onCancel);

        panel.addEventListener('keydown', function (ev) {
            if (ev.key === 'Escape') {
                ev.preventDefault();
                close();
            }
        });

        render();

        return {

            /* the ticket was sent: it is spent, whatever the answer */
            reset: function () {
                var had = focusInside();

                gen++;
                drag = null;
                dropTicket();
                state = 'idle';
                say('', null);
                settle(had);
            },

            ticket: function () {
                if (ticket && Date.now() >= ticketUntil) {
                    expire();
                }

                return ticket;
            },

            focus: function () {
                if (OPEN[state]) {
                    handle.focus();

                } else {
                    bar.focus();
                }
            }
        };
    }


    window.HeaoCaptcha = {attach: attach};

})();
