/*
 * heao: the plan query (计划查询, F18) of fill.html for the batches whose
 * shape says plan_query (对口, 专升本, 征集).  heao.planPicker(batch,
 * places, choose) opens a dialog listing the institutions the candidate
 * may choose, searchable by code, name or province and paged; opening an
 * institution lists its majors with plan count, tuition and restrictions.
 * choose(institution, major) is called with the major's code, or with
 * null when the batch's slots take institutions only (专升本).
 */

'use strict';

(function () {

    var el = heao.el;

    var PAGE_SIZE = 10;

    var GENDER_TEXT = {M: '只招男生', F: '只招女生'};

    var CLASS_TEXT = {
        'ordinary': '普通类', 'higher_tuition': '较高收费类',
        'medical': '医护类', 'agri_mining': '农林矿类',
        'ethnic': '民族限定类'
    };

    var dlg, form, query, list, pager, pageInput, info, title;
    var state = {batch: null, places: 0, choose: null, q: '', page: 1,
                 pages: 0, opener: null};


    function byId(id) {
        return document.getElementById(id);
    }


    /* B5: a major's restrictions in words */

    function limits(r) {
        var out = [];

        if (!r) {
            return '';
        }

        if (r.gender) {
            out.push(GENDER_TEXT[r.gender] || r.gender);
        }

        if (r.track) {
            out.push('只招' + r.track + '科');
        }

        if (r.language) {
            out.push('只招' + r.language + '语种');
        }

        if (r.qualification) {
            out.push('须具有' + r.qualification + '资格');
        }

        if (r.directed) {
            out.push(r.directed);
        }

        if (r.max_age) {
            out.push(r.max_age.on + '时不超过' + r.max_age.age + '周岁');
        }

        if (r.ethnicities) {
            out.push('只招' + r.ethnicities.join('、'));
        }

        if (r.ethnicities_except) {
            out.push('不招' + r.ethnicities_except.join('、'));
        }

        return out.join('；');
    }


    function say(text) {
        info.textContent = text;
    }


    async function load(page) {
        var path = '/api/plan/' + encodeURIComponent(state.batch)
                   + '?size=' + PAGE_SIZE + '&page=' + page
                   + (state.q ? '&q=' + encodeURIComponent(state.q) : '');
        var r;

        say('查询中…');

        try {
            r = await heao.api('GET', path);

        } catch (e) {
            say('网络异常，请稍后重试。');
            return;
        }

        if (r.status !== 200) {
            say(heao.message(r));
            return;
        }

        state.page = r.data.page;
        state.pages = r.data.pages;
        show(r.data);
    }


    function show(data) {
        var rows = data.institutions || [];

        list.textContent = '';

        rows.forEach(function (it) {
            var li = el('li', {class: 'plan-inst'});
            var open = el('button', {type: 'button', class: 'link',
                                     'aria-expanded': 'false',
                                     'data-code': it.code,
                                     text: it.code + ' ' + it.name});
            var box = el('div', {class: 'plan-majors', hidden: true});

            li.append(open, el('span', {class: 'muted',
                text: ' ' + (it.province || '') + ' 计划' + it.plan + '人'
                      + (state.places ? '，可选专业' + it.majors + '个'
                                      : '')}));

            if (!state.places) {
                li.append(' ', el('button', {type: 'button',
                                             class: 'primary plan-choose',
                                             'data-inst': it.code,
                                             text: '选择此院校'}));
            }

            li.append(box);
            list.append(li);

            open.addEventListener('click', function () {
                toggle(it, open, box);
            });
        });

        pageInput.value = String(state.page);
        pageInput.max = String(Math.max(data.pages, 1));
        byId('plan-prev').disabled = state.page <= 1;
        byId('plan-next').disabled = state.page >= data.pages;
        byId('plan-pages').textContent = '共' + data.pages + '页，'
                                         + data.total + '所院校';
        say(data.total ? '' : '没有符合条件的院校。');
    }


    async function toggle(it, open, box) {
        var r, table, body;

        if (!box.hidden) {
            box.hidden = true;
            open.setAttribute('aria-expanded', 'false');
            return;
        }

        box.hidden = false;
        open.setAttribute('aria-expanded', 'true');

        if (box.childNodes.length) {
            return;
        }

        box.textContent = '查询中…';

        try {
            r = await heao.api('GET', '/api/plan/'
                                      + encodeURIComponent(state.batch)
                                      + '/' + it.code);

        } catch (e) {
            box.textContent = '网络异常，请稍后重试。';
            return;
        }

        if (r.status !== 200) {
            box.textContent = heao.message(r);
            return;
        }

        body = el('tbody');
        table = el('table', {class: 'plan-table'},
            el('caption', {text: it.name + '的专业'}),
            el('thead', null, el('tr', null,
                el('th', {scope: 'col', text: '专业代号'}),
                el('th', {scope: 'col', text: '专业名称'}),
                el('th', {scope: 'col', text: '计划数'}),
                el('th', {scope: 'col', text: '学费（元/年）'}),
                el('th', {scope: 'col', text: '学制'}),
                el('th', {scope: 'col', text: '类别与限制'}),
                state.places ? el('th', {scope: 'col', text: '选择'})
                             : null)),
            body);

        (r.data.majors || []).forEach(function (m) {
            var notes = [CLASS_TEXT[m['class']] || m['class'],
                         limits(m.restrictions), m.note || '']
                        .filter(function (x) { return x; }).join('；');

            body.append(el('tr', null,
                el('td', {text: m.code}),
                el('td', {text: m.name}),
                el('td', {text: String(m.plan)}),
                el('td', {text: String(m.tuition)}),
                el('td', {text: m.years + '年'}),
                el('td', {text: notes}),
                state.places
                ? el('td', null, el('button', {type: 'button',
                                               class: 'plan-choose',
                                               'data-inst': it.code,
                                               'data-major': m.code,
                                               'aria-label': '选择' + m.name,
                                               text: '选择'}))
                : null));
        });

        box.textContent = '';
        box.append(table);
    }


    function onChoose(ev) {
        var b = ev.target.closest('.plan-choose');
        var done;

        if (!b) {
            return;
        }

        done = state.choose(b.getAttribute('data-inst'),
                            b.getAttribute('data-major'));

        if (done === false) {
            say('本志愿的专业已填满，请先清空一个专业。');
            return;
        }

        dlg.close();
    }


    function bind() {
        dlg = byId('plan-dialog');
        form = byId('plan-search');
        query = byId('plan-q');
        list = byId('plan-list');
        pager = byId('plan-pager');
        pageInput = byId('plan-page');
        info = byId('plan-info');
        title = byId('plan-h');

        form.addEventListener('submit', function (ev) {
            ev.preventDefault();
            state.q = query.value.trim();
            load(1);
        });

        byId('plan-prev').addEventListener('click', function () {
            load(state.page - 1);
        });
        byId('plan-next').addEventListener('click', function () {
            load(state.page + 1);
        });
        byId('plan-jump').addEventListener('click', function () {
            var n = Number(pageInput.value);

            if (n >= 1 && n <= Math.max(state.pages, 1)
                && Math.floor(n) === n)
            {
                load(n);

            } else {
                say('请输入1到' + Math.max(state.pages, 1)
                    + '之间的页码。');
            }
        });
        byId('plan-close').addEventListener('click', function () {
            dlg.close();
        });

        list.addEventListener('click', onChoose);

        dlg.addEventListener('close', function () {
            if (state.opener) {
                state.opener.focus();
            }
        });
    }


    function open(batch, name, places, choose, opener) {
        if (!dlg) {
            bind();
        }

        state.batch = batch;
        state.places = places;
        state.choose = choose;
        state.opener = opener || null;
        state.q = '';
        query.value = '';
        title.textContent = '计划查询：' + name;
        list.textContent = '';
        pager.hidden = false;

        dlg.showModal();
        query.focus();
        load(1);
    }


    heao.planPicker = open;

})();
