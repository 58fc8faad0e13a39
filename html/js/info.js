/*
 * heao: info.html, the info center: qualification and score (I2), the
 * evaluation and the integrity record (I3), the archive status (I6) and,
 * for candidates with a bound dynamic password, three years of admission
 * figures per institution (I5).
 */

'use strict';

(function () {

    var el = heao.el;

    var TRACK_TEXT = {'文': '文史', '理': '理工'};


    function byId(id) {
        return document.getElementById(id);
    }


    function dl(pairs) {
        var list = el('dl', {class: 'facts'});

        pairs.forEach(function (p) {
            list.append(el('dt', {text: p[0]}), el('dd', {text: p[1]}));
        });

        return list;
    }


    function renderScore(d) {
        var box = byId('score');
        var tbody = el('tbody');

        box.textContent = '';
        box.append(dl([
            ['考生号', d.exam_no],
            ['姓名', d.name],
            ['科类', TRACK_TEXT[d.track] || d.track],
            ['考生类别', d.ctype],
            ['外语语种', d.language],
            ['专项计划资格', d.qualifications.length
                             ? d.qualifications.join('、') : '无'],
            ['诚信情况', d.shixin ? '有失信记录（平行志愿批次最多填报2所院校）'
                                 : '无失信记录']]));

        if (!d.score) {
            box.append(el('p', {class: 'muted', id: 'score-none',
                                text: '成绩尚未公布。'}));
            return;
        }

        d.score.subjects.forEach(function (s) {
            tbody.append(el('tr', null,
                el('th', {scope: 'row', text: s.name}),
                el('td', {text: s.score})));
        });

        tbody.append(el('tr', null, el('th', {scope: 'row', text: '总分'}),
                         el('td', {id: 'score-total', text: d.score.total})),
                     el('tr', null, el('th', {scope: 'row', text: '加分'}),
                         el('td', {text: d.score.bonus})),
                     el('tr', null, el('th', {scope: 'row', text: '位次'}),
                         el('td', {text: d.score.rank || '—'})),
                     el('tr', null, el('th', {scope: 'row', text: '体检结论'}),
                         el('td', {text: d.score.physical})));

        box.append(el('table', {class: 'list', id: 'score-table'},
            el('caption', {text: '成绩单（' + heao.fmtTime(d.score.published_at)
                                 + '公布）'}),
            el('thead', null, el('tr', null,
                el('th', {scope: 'col', text: '科目'}),
                el('th', {scope: 'col', text: '成绩'}))),
            tbody));
    }


    function renderEvaluation(d) {
        var box = byId('evaluation');
        var list = el('ul', {class: 'plain', id: 'integrity'});

        box.textContent = '';
        box.append(el('h3', {text: '考生评语'}));

        if (d.evaluation) {
            box.append(el('p', {id: 'eval-comment',
                                text: d.evaluation.comment}),
                       el('p', {class: 'muted',
                                text: d.evaluation.school + '　'
                                      + d.evaluation.written_at}));

        } else {
            box.append(el('p', {class: 'muted', text: '暂无考生评语。'}));
        }

        box.append(el('h3', {text: '诚信档案'}));

        d.integrity.forEach(function (x) {
            list.append(el('li', null,
                el('span', {class: 'tag ' + (x.kind === 'breach'
                                             ? 'tag-closed' : 'tag-open'),
                            text: x.kind === 'breach' ? '失信' : '守信'}),
                ' ' + x.recorded_at + '　' + x.text));
        });

        if (!d.integrity.length) {
            list.append(el('li', {class: 'muted', text: '暂无记录。'}));
        }

        box.append(list);
    }


    function renderArchive(d) {
        var box = byId('archive');
        var list = el('ol', {class: 'plain', id: 'archive-events'});

        box.textContent = '';
        box.append(el('p', null, '当前状态：',
                      el('strong', {id: 'archive-status', text: d.status}),
                      d.updated_at ? '（更新于' + heao.fmtTime(d.updated_at)
                                     + '）' : ''));

        d.events.forEach(function (e) {
            list.append(el('li', {text: heao.fmtTime(e.at) + '　' + e.status
                + (e.batch_name ? '　' + e.batch_name : '')
                + (e.institution ? '　' + e.institution.code + ' '
                                   + e.institution.name : '')
                + (e.note ? '　' + e.note : '')}));
        });

        if (d.events.length) {
            box.append(list);
        }
    }


    async function admissions(code) {
        var box = byId('admissions');
        var tbody = el('tbody');
        var r;

        box.textContent = '正在查询…';

        try {
            r = await heao.api('GET', '/api/admissions/'
                                      + encodeURIComponent(code));

        } catch (e) {
            box.textContent = '网络异常，请稍后重试。';
            return;
        }

        box.textContent = '';

        if (r.status !== 200) {
            box.append(el('p', {class: 'banner warn', id: 'adm-refused',
                                text: heao.message(r)}));

            if (r.data.error === 'totp_required') {
                box.append(el('p', null, el('a', {href: 'account.html',
                                                  text: '去绑定动态密码'})));
            }

            return;
        }

        if (!r.data.figures.length) {
            box.append(el('p', {class: 'muted',
                                text: r.data.institution.code + ' '
                                      + r.data.institution.name
                                      + '：近三年无录取统计。'}));
            return;
        }

        r.data.figures.forEach(function (f) {
            tbody.append(el('tr', null,
                el('td', {'data-label': '年份', text: f.year}),
                el('td', {'data-label': '批次', text: f.batch}),
                el('td', {'data-label': '科类',
                          text: TRACK_TEXT[f.track] || f.track}),
                el('td', {'data-label': '最低分', text: f.min_score}),
                el('td', {'data-label': '平均分',
                          text: f.avg_score === null ? '—' : f.avg_score}),
                el('td', {'data-label': '最低位次',
                          text: f.min_rank === null ? '—' : f.min_rank})));
        });

        box.append(el('table', {class: 'list rtable', id: 'adm-table'},
            el('caption', {text: r.data.institution.code + ' '
                                 + r.data.institution.name
                                 + ' 近三年录取统计'}),
            el('thead', null, el('tr', null,
                el('th', {scope: 'col', text: '年份'}),
                el('th', {scope: 'col', text: '批次'}),
                el('th', {scope: 'col', text: '科类'}),
                el('th', {scope: 'col', text: '最低分'}),
                el('th', {scope: 'col', text: '平均分'}),
                el('th', {scope: 'col', text: '最低位次'}))),
            tbody),
            el('p', {class: 'muted', text: '数据来源：' + r.data.source}));
    }


    /* the institutions of the saved applications, one click each */

    function mine(groups) {
        var box = byId('adm-mine');
        var seen = {};
        var p = el('p', null, '我的志愿院校：');

        groups.forEach(function (g) {
            ((g.application || {}).sections || []).forEach(function (sec) {
                (sec.slots || []).forEach(function (s) {
                    var c = s.institution && s.institution.code;

                    if (c && !seen[c]) {
                        seen[c] = true;
                        p.append(el('button', {type: 'button', class: 'link',
                                               'data-code': c,
                                               text: c + ' '
                                                     + s.institution.name}),
                                 ' ');
                    }
                });
            });
        });

        if (Object.keys(seen).length) {
            p.addEventListener('click', function (ev) {
                var c = ev.target.getAttribute('data-code');

                if (c) {
                    byId('adm-code').value = c;
                    admissions(c);
                }
            });
            box.append(p);
        }
    }


    async function load(path, render, id) {
        var r;

        try {
            r = await heao.api('GET', path);

        } catch (e) {
            byId(id).textContent = '网络异常，请检查网络后刷新页面。';
            return;
        }

        if (r.status !== 200) {
            byId(id).textContent = heao.message(r);
            return;
        }

        render(r.data);
    }


    async function init() {
        var s;

        byId('adm-form').addEventListener('submit', function (ev) {
            var code = byId('adm-code').value.trim();
            var err = byId('adm-code-err');

            ev.preventDefault();
            err.hidden = /^\d{4}$/.test(code);
            err.textContent = '院校代号为4位数字';

            if (err.hidden) {
                admissions(code);
            }
        });

        try {
            s = await heao.session();

        } catch (e) {
            byId('score').textContent = '网络异常，请检查网络后刷新页面。';
            return;
        }

        heao.showCandidate(s);

        await load('/api/info/score', renderScore, 'score');
        await load('/api/info/evaluation', renderEvaluation, 'evaluation');
        await load('/api/info/archive', renderArchive, 'archive');
        await load('/api/browse', function (d) { mine(d.groups || []); },
                   'adm-mine');
    }


    init();

})();
