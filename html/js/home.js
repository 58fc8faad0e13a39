/*
 * heao: the candidate's home page: who is logged in, and per batch its
 * window, whether it is open, what the candidate's group holds (saves
 * used and left, when the next change is possible), and 填报 where the
 * batch can be filled, or else why not, in the order begin judges it:
 * the candidate's type (F9), an abandon (V3), the window, the saves
 * (F12).
 */

'use strict';

(function () {

    var el = heao.el;
    var RETRY_S = 10;                       /* after a 503 without a hint */
    var ctype = null;                       /* the session's, against F9 */


    function groupsOf(batches) {
        var groups = [];
        var byCode = {};

        batches.forEach(function (b) {
            var key = b.group || b.code;

            if (!byCode[key]) {
                byCode[key] = {group: key, batches: []};
                groups.push(byCode[key]);
            }

            byCode[key].batches.push(b);
        });

        return groups;
    }


    function mine(b, g, now, shared) {
        var cell = el('div');

        if (!g) {
            cell.append(el('span', {class: 'muted', text: '未填报'}));
            return cell;
        }

        if (g.abandoned) {
            cell.append(el('span', {class: 'muted', text: '志愿已作废'}));
            return cell;
        }

        if (shared && g.batch !== b.code) {
            cell.append(el('span', {class: 'muted',
                text: '同组已保存【' + g.batch_name + '】志愿，'
                      + '在本类别保存将覆盖它'}));
            return cell;
        }

        cell.append(el('p', {text: '已保存' + g.saves_used + '次，'
                                   + (g.final ? '截止前不能再修改'
                                              : '还可修改' + g.saves_left
                                                + '次')}));

        if (g.last_save_at) {
            cell.append(el('p', {class: 'muted',
                text: '最近保存：' + heao.fmtTime(g.last_save_at)}));
        }

        if (g.saves_left > 0 && g.next_change_at && g.next_change_at > now) {
            cell.append(el('p', {class: 'warn',
                text: '下次可修改时间：' + heao.fmtTime(g.next_change_at)}));
        }

        return cell;
    }


    /*
     * why the batch cannot be filled now, as {text, note}, or null when
     * it can (a change within the hour is refused at begin with its time,
     * F12, and the page shows that time already); ctype null when the
     * candidate's type is not known
     */

    function blocked(b, g, state, ctype) {
        if (ctype && Array.isArray(b.ctypes) && b.ctypes.length
            && b.ctypes.indexOf(ctype) < 0)
        {
            return {text: '不能填报',
                    note: '限' + b.ctypes.join('、') + '考生'};
        }

        if (g && g.abandoned) {
            return {text: '已放弃'};
        }

        if (state === 'not_open') {
            return {text: '未开放',
                    note: heao.fmtTime(b.opens_at, true) + ' 开放'};
        }

        if (state === 'closed') {
            return {text: '已关闭'};
        }

        if (g && g.saves_left === 0) {
            return {text: '修改次数已用完'};
        }

        if (g && g.final) {
            return {text: '不能再修改', note: '下次可修改时间晚于截止时间'};
        }

        return null;
    }


    function actions(b, g, state, ctype) {
        var cell = el('div', {class: 'row-actions'});
        var why = blocked(b, g, state, ctype);

        if (why) {
            cell.append(el('p', {class: 'fill-state'},
                el('span', {class: 'strong', text: why.text}),
                why.note ? el('span', {class: 'muted', text: why.note})
                         : null));

        } else if (state === 'open') {
            cell.append(el('a', {class: 'button primary',
                                 href: 'notice.html?batch='
                                       + encodeURIComponent(b.code),
                                 'aria-label': '填报' + b.name,
                                 text: '填报'}));
        }

        if (g) {
            cell.append(el('a', {class: 'button',
                                 href: 'browse.html#group-'
                                       + encodeURIComponent(g.group),
                                 'aria-label': '浏览' + heao.zhiyuan(b.name),
                                 text: '浏览'}));
        }

        if (!cell.childNodes.length) {
            cell.append(el('span', {class: 'muted', text: '—'}));
        }

        return cell;
    }


    function render(batches, saved, now, ctype) {
        var box = document.getElementById('batches');
        var byGroup = {};
        var anyShared = false;
        var table;

        (saved || []).forEach(function (g) { byGroup[g.group] = g; });

        table = el('table', {class: 'list rtable'},
            el('caption', {class: 'sr-only', text: '各批次志愿填报情况'}),
            el('thead', null, el('tr', null,
                el('th', {scope: 'col', text: '批次'}),
                el('th', {scope: 'col', text: '填报时间'}),
                el('th', {scope: 'col', text: '状态'}),
                el('th', {scope: 'col', text: '我的志愿'}),
                el('th', {scope: 'col', text: '操作'}))));

        groupsOf(batches).forEach(function (grp) {
            var tbody = el('tbody');
            var g = byGroup[grp.group];
            var shared = grp.batches.length > 1;

            if (shared) {
                anyShared = true;
                tbody.append(el('tr', {class: 'group-note'},
                    el('td', {colspan: '5',
                              text: '以下类别属于同一志愿组（见上方注意）'})));
            }

            grp.batches.forEach(function (b) {
                var state = heao.batchState(b, now);

                tbody.append(el('tr', {id: 'batch-' + b.code},
                    el('th', {scope: 'row', 'data-label': '批次',
                              text: b.name}),
                    el('td', {'data-label': '填报时间'}, heao.windowEl(b)),
                    el('td', {'data-label': '状态'},
                        el('span', {class: 'tag tag-' + state,
                                    text: heao.STATE_TEXT[state]})),
                    el('td', {'data-label': '我的志愿'},
                        mine(b, g, now, shared)),
                    el('td', {'data-label': '操作'},
                        actions(b, g, state, ctype))));
            });

            table.append(tbody);
        });

        box.textContent = '';

        if (!batches.length) {
            box.append(el('p', {class: 'muted', text: '暂无填报批次。'}));
            return;
        }

        /* the rule of a group of several categories, said once (F11) */
        if (anyShared) {
            box.append(el('p', {class: 'important', id: 'group-rule',
                text: '【注意】同一志愿组的各类别共用保存次数：'
                      + '填报其中一类会覆盖同组其他类别的志愿，'
                      + '放弃其中一类则本组志愿全部放弃。'}));
        }

        box.append(table);
    }


    /*
     * a refusal in the box; a 503 is in api.js's banner already, so the
     * box says only when the page tries again (Retry-After)
     */

    function failed(r) {
        var box = document.getElementById('batches');
        var after = r.headers.get('Retry-After');
        var secs = /^\d+$/.test(after || '') ? Number(after) : RETRY_S;

        if (r.status !== 503) {
            box.textContent = heao.message(r);
            return;
        }

        box.textContent = '志愿填报情况暂时无法显示，' + secs
                          + '秒后自动刷新。';
        setTimeout(load, secs * 1000);
    }


    async function load() {
        var box = document.getElementById('batches');
        var all, rb, rv;

        try {
            all = await Promise.all([heao.api('GET', '/api/batches'),
                                     heao.api('GET', '/api/browse')]);

        } catch (e) {
            box.textContent = '网络异常，请检查网络后刷新页面。';
            return;
        }

        rb = all[0];
        rv = all[1];

        if (rb.status !== 200) {
            failed(rb);
            return;
        }

        heao.syncClock(rb.data.now);

        if (rv.status !== 200) {
            failed(rv);
            return;
        }

        /* without a type every batch offers 填报, and begin judges (F9) */
        render(rb.data.batches || [], rv.data.groups, rb.data.now, ctype);
    }


    async function init() {
        var box = document.getElementById('batches');
        var s;

        try {
            s = await heao.session();

        } catch (e) {
            box.textContent = '网络异常，请检查网络后刷新页面。';
            return;
        }

        if (!s) {
            box.textContent = '无法确认登录状态，请刷新页面重试。';
            return;
        }

        heao.showCandidate(s);
        document.getElementById('welcome').textContent =
            '欢迎您，' + s.candidate.name + '。考生号：' + s.candidate.exam_no;

        ctype = s.candidate.ctype || null;
        load();
    }


    init();

})();
