/*
 * heao: browse.html: per group the saved application with names, the
 * adjustment choices, the checksum, saves used and left and when the next
 * change is possible (V1), printable (V2).  notice.html and fill.html send
 * the candidate here with ?reason=&next=&msg= when no change is allowed
 * (F12), and fill.html with ?saved=N after a save.
 */

'use strict';

(function () {

    var el = heao.el;

    var REASON_TEXT = {
        too_soon: '距离上次保存志愿未满1小时，暂无法修改！',
        final: '距离上次保存志愿须满1小时才能修改，而本批次届时已截止，'
               + '已保存的志愿即为最终志愿。',
        no_saves_left: '保存次数已用完（第一次保存后有两次修改机会），'
                       + '不能再修改志愿。',
        abandoned: '您已放弃该志愿，不能再次填报。',
        closed: '该批次志愿填报时间已截止，不能再修改。',
        not_open: '该批次志愿填报尚未开始。'
    };

    var ADJUST_TEXT = {agree: '同意', disagree: '不同意'};


    function byId(id) {
        return document.getElementById(id);
    }


    function bare(text) {
        return text.replace(/[！!。.，,\s]/g, '');
    }


    function showReason() {
        var box = byId('reason');
        var reason = heao.param('reason');
        var msg = heao.param('msg');
        var next = Number(heao.param('next'));
        var head = REASON_TEXT[reason];

        if (!reason && !msg) {
            return;
        }

        box.textContent = '';
        box.append(el('p', {class: 'strong',
                            text: head || msg || '当前不能修改志愿。'}));

        if (msg && head && bare(msg) !== bare(head)) {
            box.append(el('p', {text: msg}));
        }

        if (next > 0) {
            box.append(el('p', {text: '可修改时间：' + heao.fmtTime(next)}));
        }

        box.hidden = false;
    }


    function showSaved() {
        var n = heao.param('saved');

        if (!n || !/^\d+$/.test(n)) {
            return;
        }

        byId('saved').textContent = '志愿保存成功（第' + n + '次保存）。'
            + '县（市、区）招生考试机构将依据您网上保存的志愿信息打印志愿表。';
        byId('saved').hidden = false;
    }


    function code(x) {
        return typeof x === 'string' ? x : (x && x.code) || '';
    }


    function named(x) {
        var c = code(x);
        var n = x && typeof x === 'object' && x.name ? x.name : '';

        return n ? c + ' ' + n : c;
    }


    function sectionTable(sec, shapeSec, i) {
        var slots = (sec.slots || []).filter(function (s) {
            return code(s.institution) !== '';
        });
        var count = shapeSec ? shapeSec.slots : slots.length;
        var title = sec.title || (shapeSec && shapeSec.title) || '志愿';
        var places = shapeSec ? shapeSec.majors
                     : Math.max.apply(null, slots.map(function (s) {
                           return (s.majors || []).length;
                       }).concat([0]));
        var hasAdjust = shapeSec ? shapeSec.adjust
                        : slots.some(function (s) { return s.adjust; });
        var head = el('tr', null,
                      el('th', {scope: 'col', text: '志愿'}),
                      el('th', {scope: 'col', text: '院校代号'}),
                      el('th', {scope: 'col', text: '院校名称'}));
        var tbody = el('tbody');
        var caption = el('caption', {text: title});

        if (places > 0) {
            head.append(el('th', {scope: 'col', text: '专业'}));
        }

        if (hasAdjust) {
            head.append(el('th', {scope: 'col', text: '专业调剂'}));
        }

        (sec.slots || []).forEach(function (s, j) {
            var inst = s.institution;
            var row, list;

            if (code(inst) === '') {
                return;
            }

            row = el('tr', null,
                el('th', {scope: 'row', 'data-label': '志愿',
                          text: count > 1 ? title + (j + 1) : title}),
                el('td', {'data-label': '院校代号', class: 'code',
                          text: code(inst)}),
                el('td', {'data-label': '院校名称',
                          text: inst && inst.name ? inst.name : ''}));

            if (places > 0) {
                list = el('ol', {class: 'majors'});

                (s.majors || []).forEach(function (m, k) {
                    if (code(m) === '') {
                        return;
                    }

                    list.append(el('li', null,
                        el('span', {class: 'place',
                                    text: (places === 1 ? '专业'
                                           : '专业' + (k + 1)) + '：'}),
                        named(m)));
                });

                row.append(el('td', {'data-label': '专业'},
                              list.childNodes.length ? list : '—'));
            }

            if (hasAdjust) {
                row.append(el('td', {'data-label': '专业调剂',
                                     class: 'adjust-' + (s.adjust || 'none'),
                                     text: ADJUST_TEXT[s.adjust] || '未选择'}));
            }

            tbody.append(row);
        });

        if (!tbody.childNodes.length) {
            tbody.append(el('tr', null, el('td', {colspan: '5',
                                                  text: '未填报'})));
        }

        return el('table', {class: 'list rtable app', id: 'app-' + i},
                  caption, el('thead', null, head), tbody);
    }


    /* V3: when the group was abandoned, and what became of its saves */

    function abandonLine(g) {
        var when = g.abandoned_at ? '已于' + heao.fmtTime(g.abandoned_at)
                                    + '放弃'
                                  : '已放弃';
        var line = el('p', {class: 'save-line'});

        if (g.saves_used > 0 && g.last_save_at) {
            line.append('第' + g.saves_used + '次保存时间：'
                        + heao.fmtTime(g.last_save_at) + '。',
                        el('span', {class: 'warn',
                                    text: '（' + when + '，志愿已作废）'}));

        } else {
            line.append(el('span', {class: 'warn',
                                    text: when + '本批次志愿（放弃前未保存过'
                                          + '志愿），不能再次填报。'}));
        }

        return line;
    }


    function important(g, b, now) {
        var box = el('div', {class: 'important'},
                         el('h3', {text: '重要提示'}));
        var closed = b ? heao.batchState(b, now) !== 'open'
                       : g.closes_at <= now;
        var line;

        if (g.checksum) {
            box.append(el('p', null, '本次志愿校验值：',
                          el('strong', {class: 'checksum',
                                        text: g.checksum})));
        }

        box.append(el('p', {text: '县(市、区)招生考试机构将依据考生网上保存的'
                                  + '志愿信息打印出志愿表，并存入考生档案。'}));

        /*
         * an abandoned group has nothing left to change (V3); one
         * abandoned before any save has no save to speak of
         */

        if (g.abandoned) {
            box.append(abandonLine(g));

            return {box: box, canChange: false};
        }

        line = el('p', {class: 'save-line'},
                  '第' + g.saves_used + '次保存时间：'
                  + heao.fmtTime(g.last_save_at));

        /* F12: the next change would come after the close */

        if (g.final && !closed) {
            line.append('。', el('span', {class: 'warn final',
                text: '（距离上次保存须满1小时才能修改，而本批次届时已截止：'
                      + '本次保存的志愿即为最终志愿）'}));
            box.append(line);

            return {box: box, canChange: false};
        }

        line.append('，', el('span', {class: 'left',
                                     text: '还可以修改' + g.saves_left + '次'}),
                    '。');

        if (closed) {
            line.append(el('span', {class: 'warn',
                                    text: '（本批次填报已截止）'}));

        } else if (g.saves_left <= 0) {
            line.append(el('span', {class: 'warn',
                                    text: '（保存次数已用完）'}));

        } else if (g.next_change_at && g.next_change_at > now) {
            line.append(el('span', {class: 'warn next-change',
                text: '（距离上次保存志愿未满1小时，暂无法修改！可修改时间：'
                      + heao.fmtTime(g.next_change_at) + '）'}));
        }

        box.append(line);

        return {box: box, canChange: !g.abandoned && !closed
                    && g.saves_left > 0
                    && !(g.next_change_at && g.next_change_at > now)};
    }


    /* I4: the pledge letter of a directed plan, and the reminder */

    function pledgeNote(p) {
        return el('div', {class: 'important pledge-note',
                          id: 'pledge-' + p.group},
            el('p', null, '您填报了' + p.directed + '志愿，请点击',
               el('a', {class: 'button primary screen-only',
                        href: 'pledge.html?batch='
                              + encodeURIComponent(p.batch),
                        text: '打印' + p.directed + '承诺书'}),
               '，并于' + heao.fmtDay(p.deadline)
               + '前打印并签字交县（市、区）招生考试机构。'));
    }


    function renderGroup(g, byCode, now, pledge) {
        var b = byCode[g.batch];
        var shape = b && b.shape ? b.shape.sections : [];
        var part = el('section', {class: 'card group',
                                  id: 'group-' + g.group,
                                  'aria-labelledby': 'group-' + g.group
                                                     + '-h'},
                      el('h2', {id: 'group-' + g.group + '-h',
                                text: '【' + g.batch_name + '】志愿信息'}));
        var app = g.application || {sections: []};
        var imp;

        if (g.abandoned) {
            part.append(el('p', {class: 'banner warn',
                text: '您已放弃【' + g.batch_name + '】志愿，'
                      + '该志愿不再有效，也不能再次填报。'}));
        }

        (app.sections || []).forEach(function (sec, i) {
            part.append(sectionTable(sec, shape[i], g.group + '-' + i));
        });

        imp = important(g, b, now);
        part.append(imp.box);

        if (pledge && !g.abandoned) {
            part.append(pledgeNote(pledge));
        }

        if (imp.canChange) {
            part.append(el('p', {class: 'actions screen-only'},
                el('a', {class: 'button',
                         href: 'notice.html?batch='
                               + encodeURIComponent(g.batch),
                         text: '修改志愿'})));
        }

        /* V3: abandoning is possible while the window is open */
        if (!g.abandoned && b && heao.batchState(b, now) === 'open') {
            part.append(el('p', {class: 'actions screen-only'},
                el('a', {class: 'button danger',
                         href: 'abandon.html?batch='
                               + encodeURIComponent(g.batch),
                         'aria-label': '放弃' + heao.zhiyuan(g.batch_name),
                         text: '放弃志愿'})));
        }

        return part;
    }


    async function init() {
        var box = byId('groups');
        var byCode = {};
        var pledges = {};
        var s, rv, rb, rp, now, groups;

        showReason();
        showSaved();
        byId('print').addEventListener('click', function () {
            window.print();
        });

        try {
            s = await heao.session();
            rv = await heao.api('GET', '/api/browse');
            rb = await heao.api('GET', '/api/batches');
            rp = await heao.api('GET', '/api/pledge');

        } catch (e) {
            box.textContent = '网络异常，请检查网络后刷新页面。';
            return;
        }

        heao.showCandidate(s);
        byId('print-who').textContent = '考生号：' + s.candidate.exam_no
            + '　姓名：' + s.candidate.name;

        if (rv.status !== 200) {
            box.textContent = heao.message(rv);
            return;
        }

        if (rb.status === 200) {
            heao.syncClock(rb.data.now);
            (rb.data.batches || []).forEach(function (b) {
                byCode[b.code] = b;
            });
        }

        if (rp.status === 200) {
            (rp.data.pledges || []).forEach(function (p) {
                pledges[p.group] = p;
            });
        }

        now = heao.now();
        groups = rv.data.groups || [];
        box.textContent = '';

        if (!groups.length) {
            box.append(el('p', {class: 'muted',
                                text: '您还没有保存任何志愿。'}),
                       el('p', null, el('a', {href: 'home.html',
                                              text: '返回考生主页填报志愿'})));
            return;
        }

        groups.forEach(function (g) {
            box.append(renderGroup(g, byCode, now, pledges[g.group]));
        });

        byId('print-who').textContent += '　打印时间：'
            + heao.fmtTime(Math.floor(now));

        if (location.hash && byId(location.hash.slice(1))) {
            byId(location.hash.slice(1)).scrollIntoView();
        }
    }


    init();

})();
