/*
 * heao: fill.html?batch=CODE: the application form of one batch.
 *
 * The form follows the batch's shape from /api/batches: per section its
 * slots, per slot 院校代号, 专业1..N and 专业调剂.  Names are looked up as
 * codes are typed (F2), the fill session counts down (F13), 检查 is the
 * dry run (F17) and 保存志愿 saves with a client-chosen save_id that a
 * retry after a lost answer reuses.  A draft is kept in localStorage.
 */

'use strict';

(function () {

    var el = heao.el;
    var code = heao.batchParam();

    var WARN_SECONDS = 5 * 60;
    var SAVE_TIMEOUT_MS = 30000;
    var INST_LEN = 4;
    var MAJOR_LEN = 2;

    /*
     * the paths the server names (docs/API.md, Errors):
     * application.sections[i].slots[j], then .institution, .adjust or
     * .majors[k]
     */
    var FIELD_RE = new RegExp('^application\\.sections\\[(\\d+)\\]'
        + '\\.slots\\[(\\d+)\\]'
        + '(?:\\.(institution|adjust|majors\\[(\\d+)\\]))?$');

    var CLASS_TEXT = {
        'higher-tuition': '较高收费', 'higher_tuition': '较高收费',
        'medical': '医护类', 'medical-nursing': '医护类',
        'nursing': '医护类',
        'agriculture': '农林矿类', 'agriculture-forestry-mining': '农林矿类',
        'ethnic': '民族限定', 'ethnic-restricted': '民族限定'
    };

    var batch;              /* this batch of /api/batches */
    var batchesByCode = {};
    var begin;              /* the answer of POST .../begin */
    var candidate;
    var saved;              /* the last saved application, normalized */
    var grid = [];          /* grid[i][j]: the controls of slot j of sec i */
    var catalog = new Map();
    var offered = null;     /* the draft offered back, if any */
    var pending = null;     /* {id, app}: a save whose answer was lost */
    var expired = false;
    var warned = false;
    var ticker = null;
    var busy = false;


    function byId(id) {
        return document.getElementById(id);
    }


    function store(kind) {
        return 'heao.' + kind + '.' + code;
    }


    function readJson(storage, key) {
        try {
            return JSON.parse(storage.getItem(key) || 'null');

        } catch (e) {
            return null;
        }
    }


    function writeJson(storage, key, value) {
        try {
            if (value === null) {
                storage.removeItem(key);

            } else {
                storage.setItem(key, JSON.stringify(value));
            }

        } catch (e) {
            /* storage full or disabled: nothing to keep */
        }
    }


    /* digits only, full-width ones converted, at most max of them */

    function digits(v, max) {
        return v.replace(/[\uff10-\uff19]/g, function (c) {
                    return String.fromCharCode(c.charCodeAt(0) - 0xfee0);
                })
                .replace(/\D/g, '')
                .slice(0, max);
    }


    function slotLabel(sec, j) {
        var title = sec.title || '志愿';

        return sec.slots > 1 ? title + (j + 1) : title;
    }


    /* the application in the shape's order, trailing empty slots left out */

    function normalize(app) {
        var out = {sections: []};

        batch.shape.sections.forEach(function (sec, i) {
            var src = app && app.sections && app.sections[i]
                      && Array.isArray(app.sections[i].slots)
                      ? app.sections[i].slots : [];
            var slots = [];
            var j, k, x, inst, majors, m, adjust;

            for (j = 0; j < sec.slots; j++) {
                x = src[j] || {};
                inst = x.institution;
                inst = typeof inst === 'string' ? inst
                       : (inst && inst.code) || '';
                majors = [];

                for (k = 0; k < (sec.majors || 0); k++) {
                    m = Array.isArray(x.majors) ? x.majors[k] : '';
                    majors.push(typeof m === 'string' ? m
                                : (m && m.code) || '');
                }

                adjust = sec.adjust && (x.adjust === 'agree'
                                        || x.adjust === 'disagree')
                         ? x.adjust : null;

                if (inst === '' && adjust === null
                    && majors.every(function (c) { return c === ''; }))
                {
                    slots.push({institution: '', majors: [], adjust: null});

                } else {
                    slots.push({institution: inst, majors: majors,
                                adjust: adjust});
                }
            }

            while (slots.length && slots[slots.length - 1].institution === ''
                   && slots[slots.length - 1].majors.length === 0
                   && slots[slots.length - 1].adjust === null)
            {
                slots.pop();
            }

            out.sections.push({slots: slots});
        });

        return out;
    }


    function same(a, b) {
        return JSON.stringify(a) === JSON.stringify(b);
    }


    function readForm() {
        return {sections: grid.map(function (row) {
            return {slots: row.map(function (s) {
                return {
                    institution: s.inst.value,
                    majors: s.majors.map(function (m) {
                        return m.input.value;
                    }),
                    adjust: s.agree ? (s.agree.checked ? 'agree'
                                       : s.disagree.checked ? 'disagree'
                                       : null)
                                    : null
                };
            })};
        })};
    }


    function current() {
        return normalize(readForm());
    }


    /* building the form */

    function codeInput(id, len, field, slot) {
        return el('input', {id: id, type: 'text', inputmode: 'numeric',
                            pattern: '[0-9]*', maxlength: String(len),
                            autocomplete: 'off', spellcheck: 'false',
                            class: 'code code-' + len,
                            'data-field': field, 'data-slot': slot,
                            'aria-describedby': id + '-name ' + id + '-err'});
    }


    function errLine(id) {
        return el('p', {class: 'err', id: id, hidden: true});
    }


    function buildSlot(sec, i, j) {
        var id = 'f-' + i + '-' + j;
        var path = 'application.sections[' + i + '].slots[' + j + ']';
        var ref = i + '.' + j;
        var fs = el('fieldset', {class: 'slot', id: id});
        var s = {i: i, j: j, sec: sec, fs: fs, majors: [], info: null,
                 err: errLine(id + '-err')};
        var k, mid, label, adjId;

        fs.append(el('legend', {text: slotLabel(sec, j)}), s.err);

        s.inst = codeInput(id + '-inst', INST_LEN, path + '.institution', ref);
        s.instName = el('output', {id: id + '-inst-name', class: 'name',
                                   for: id + '-inst'});
        s.instErr = errLine(id + '-inst-err');
        fs.append(el('div', {class: 'row'},
                     el('label', {for: s.inst.id, text: '院校代号'}),
                     s.inst, pickButton(sec, s), s.instName),
                  s.instErr);

        for (k = 0; k < (sec.majors || 0); k++) {
            mid = id + '-m' + k;
            label = sec.majors === 1 ? '专业' : '专业' + (k + 1);
            s.majors.push({
                input: codeInput(mid, MAJOR_LEN,
                                 path + '.majors[' + k + ']', ref),
                name: el('output', {id: mid + '-name', class: 'name',
                                    for: mid}),
                err: errLine(mid + '-err')
            });
            fs.append(el('div', {class: 'row'},
                         el('label', {for: mid, text: label}),
                         s.majors[k].input, s.majors[k].name),
                      s.majors[k].err);
        }

        if (sec.adjust) {
            adjId = id + '-adj';
            s.agree = el('input', {type: 'radio', name: adjId, value: 'agree',
                                   id: adjId + '-agree', disabled: true,
                                   'data-field': path + '.adjust',
                                   'data-slot': ref});
            s.disagree = el('input', {type: 'radio', name: adjId,
                                      value: 'disagree',
                                      id: adjId + '-disagree',
                                      disabled: true,
                                      'data-field': path + '.adjust',
                                      'data-slot': ref});
            s.adjErr = errLine(adjId + '-err');
            s.adjFs = el('fieldset', {class: 'adjust row', id: adjId,
                                      'aria-describedby': adjId + '-err'},
                el('legend', {text: sec.adjust_group
                                    ? '专业调剂（仅适用于'
                                      + '专业组内的专业）'
                                    : '专业调剂'}),
                el('span', {class: 'choices'},
                    el('label', {for: s.agree.id}, s.agree, ' 同意'),
                    el('label', {for: s.disagree.id}, s.disagree,
                       ' 不同意')));
            fs.append(s.adjFs, s.adjErr);
        }

        if (sec.slots > 1) {
            fs.append(slotTools(sec, s));
        }

        return s;
    }


    /*
     * 上移, 下移 and 插入 of a slot: its contents change places with the
     * neighbour's, or an empty slot goes in before it and the ones after
     * it move down (refused when the last slot is filled: it would be lost)
     */

    function slotTools(sec, s) {
        var p = el('p', {class: 'slot-tools'});
        var title = slotLabel(sec, s.j);

        if (s.j > 0) {
            p.append(toolButton(s, 'up', '上移', title + '：上移'));
        }

        if (s.j < sec.slots - 1) {
            p.append(toolButton(s, 'down', '下移', title + '：下移'));
            p.append(toolButton(s, 'insert', '插入',
                                '在' + title + '前插入空志愿'));
        }

        return p;
    }


    function toolButton(s, how, text, label) {
        var b = el('button', {type: 'button', class: 'tool',
                              id: 'f-' + s.i + '-' + s.j + '-' + how,
                              'aria-label': label, text: text});

        b.addEventListener('click', function () {
            shiftSlot(s, how);
        });

        return b;
    }


    function emptySlot(x) {
        return x.institution === '' && x.adjust === null
               && x.majors.every(function (c) { return c === ''; });
    }


    function shiftSlot(s, how) {
        var app = readForm();
        var slots = app.sections[s.i].slots;
        var j = s.j;
        var to = j;
        var x;

        if (how === 'up') {
            to = j - 1;
            x = slots[to];
            slots[to] = slots[j];
            slots[j] = x;

        } else if (how === 'down') {
            to = j + 1;
            x = slots[to];
            slots[to] = slots[j];
            slots[j] = x;

        } else {
            if (!emptySlot(slots[slots.length - 1])) {
                status(slotLabel(s.sec, slots.length - 1) + '已填写，'
                       + '无法插入空志愿；'
                       + '请先清空最后一个志愿。', 'error');
                return;
            }

            slots.pop();
            slots.splice(j, 0, {institution: '',
                                majors: s.majors.map(function () {
                                    return '';
                                }),
                                adjust: null});
        }

        apply(app);
        keepDraft();
        status(how === 'insert'
               ? '已在' + slotLabel(s.sec, j) + '处插入空志愿。'
               : '已将' + slotLabel(s.sec, j) + '移到'
                 + slotLabel(s.sec, to) + '。', 'info');

        x = byId('f-' + s.i + '-' + to + '-' + how);
        (x || grid[s.i][to].inst).focus();
    }


    /* F18: 选择院校 opens the plan query where the batch offers it */

    function pickButton(sec, s) {
        var b;

        if (!batch.shape.plan_query || !heao.planPicker) {
            return null;
        }

        b = el('button', {type: 'button', class: 'pick',
                          id: s.inst.id + '-pick',
                          'aria-label': slotLabel(sec, s.j) + '：选择院校',
                          text: '选择院校'});

        b.addEventListener('click', function () {
            heao.planPicker(code, batch.name, sec.majors || 0,
                            function (inst, major) {
                                return choose(s, inst, major);
                            }, b);
        });

        return b;
    }


    /*
     * what the plan query chose fills the slot: the institution, and the
     * major in the first empty place; false when none is left
     */

    function choose(s, inst, major) {
        var k;

        if (s.inst.value !== inst) {
            s.inst.value = inst;
            s.majors.forEach(function (m) { m.input.value = ''; });
        }

        if (major) {
            k = s.majors.findIndex(function (m) {
                return m.input.value === major;
            });

            if (k < 0) {
                k = s.majors.findIndex(function (m) {
                    return m.input.value === '';
                });

                if (k < 0) {
                    return false;
                }

                s.majors[k].input.value = major;
            }
        }

        clearErrors();
        syncAdjust(s);
        showNames(s);
        keepDraft();

        return true;
    }


    function buildForm() {
        var box = byId('sections');

        box.textContent = '';
        grid = [];

        batch.shape.sections.forEach(function (sec, i) {
            var part = el('section', {class: 'sec',
                                      'aria-labelledby': 'sec-' + i + '-h'},
                          el('h2', {id: 'sec-' + i + '-h',
                                    text: sec.title || '志愿'}));
            var row = [];
            var j, s;

            for (j = 0; j < sec.slots; j++) {
                s = buildSlot(sec, i, j);
                row.push(s);
                part.append(s.fs);
            }

            grid.push(row);
            box.append(part);
        });
    }


    function slotOf(node) {
        var ref = node.getAttribute && node.getAttribute('data-slot');
        var p;

        if (!ref) {
            return null;
        }

        p = ref.split('.');

        return grid[Number(p[0])][Number(p[1])];
    }


    /* names beside the codes (F2) */

    function lookup(inst) {
        var p;

        if (!catalog.has(inst)) {
            p = heao.api('GET', '/api/catalog/' + encodeURIComponent(code)
                                + '/' + inst, undefined, {auth: false})
                .then(function (r) {
                    if (r.status === 200) {
                        return {state: 'ok', data: r.data};
                    }

                    if (r.status === 404) {
                        return {state: 'missing'};
                    }

                    catalog.delete(inst);
                    return {state: 'error'};

                }, function () {
                    catalog.delete(inst);
                    return {state: 'error'};
                });

            catalog.set(inst, p);
        }

        return catalog.get(inst);
    }


    function setName(out, text, kind) {
        out.textContent = text;
        out.className = 'name' + (kind ? ' name-' + kind : '');
    }


    function showMajor(s, k) {
        var m = s.majors[k];
        var v = m.input.value;
        var hit;

        if (v.length !== MAJOR_LEN || !s.info || s.info.state === 'missing') {
            setName(m.name, '', '');
            return;
        }

        if (s.info.state !== 'ok') {
            setName(m.name, '暂时无法查询名称', 'muted');
            return;
        }

        hit = (s.info.data.majors || []).find(function (x) {
            return x.code === v;
        });

        if (!hit) {
            setName(m.name, '不存在', 'bad');
            return;
        }

        setName(m.name, hit.name + (CLASS_TEXT[hit.class]
                                    ? '（' + CLASS_TEXT[hit.class] + '）'
                                    : '')
                        + (hit.group ? '（专业组' + hit.group + '）' : ''),
                'ok');
    }


    function showNames(s) {
        var v = s.inst.value;

        if (v.length !== INST_LEN) {
            s.info = null;
            setName(s.instName, '', '');
            s.majors.forEach(function (m, k) { showMajor(s, k); });
            return;
        }

        if (!s.info || s.info.code !== v) {
            setName(s.instName, '查询中…', 'muted');
        }

        lookup(v).then(function (res) {
            if (s.inst.value !== v) {
                return;                         /* typed on meanwhile */
            }

            s.info = {code: v, state: res.state, data: res.data};

            if (res.state === 'ok') {
                setName(s.instName, res.data.name, 'ok');

            } else if (res.state === 'missing') {
                setName(s.instName, '不存在', 'bad');

            } else {
                setName(s.instName, '暂时无法查询名称', 'muted');
            }

            s.majors.forEach(function (m, k) { showMajor(s, k); });
            syncAdjust(s);
        });
    }


    /*
     * F7 in the art batches: the choice is offered only when the slot's
     * first major belongs to a 专业组
     */

    function groupOf(s) {
        var first = s.majors.find(function (m) {
            return m.input.value.length === MAJOR_LEN;
        });
        var hit;

        if (!first || !s.info || s.info.state !== 'ok'
            || s.info.code !== s.inst.value)
        {
            return null;
        }

        hit = (s.info.data.majors || []).find(function (x) {
            return x.code === first.input.value;
        });

        return hit && hit.group ? hit.group : null;
    }


    /* F7: no adjustment choice without an institution */

    function syncAdjust(s) {
        var none, known;

        if (!s.agree) {
            return;
        }

        /* until the lookup answers, a restored choice stays */
        known = s.info !== null && s.info.state === 'ok'
                && s.info.code === s.inst.value;
        none = s.inst.value === ''
               || (s.sec.adjust_group === true && known
                   && groupOf(s) === null);

        if (none) {
            s.agree.checked = false;
            s.disagree.checked = false;
        }

        s.agree.disabled = none;
        s.disagree.disabled = none;
    }


    function apply(app) {
        var norm = normalize(app);

        grid.forEach(function (row, i) {
            row.forEach(function (s, j) {
                var x = norm.sections[i].slots[j]
                        || {institution: '', majors: [], adjust: null};

                s.inst.value = x.institution;
                s.majors.forEach(function (m, k) {
                    m.input.value = x.majors[k] || '';
                });

                if (s.agree) {
                    s.agree.checked = x.adjust === 'agree';
                    s.disagree.checked = x.adjust === 'disagree';
                }

                syncAdjust(s);
                showNames(s);
            });
        });

        clearErrors();
        markDirty();
    }


    /* errors: beside the field the server named, and a summary on top */

    function target(e) {
        var path = e.field;
        var m, s, k;

        if (typeof path !== 'string' && e.section && e.slot) {
            path = 'application.sections[' + (e.section - 1) + '].slots['
                   + (e.slot - 1) + ']';
        }

        m = FIELD_RE.exec(path || '');

        if (!m || !grid[m[1]] || !grid[m[1]][m[2]]) {
            return null;
        }

        s = grid[m[1]][m[2]];

        if (m[3] === 'institution') {
            return {err: s.instErr, focus: s.inst, inputs: [s.inst], s: s};
        }

        if (m[4] !== undefined) {
            k = Number(m[4]);

            if (s.majors[k]) {
                return {err: s.majors[k].err, focus: s.majors[k].input,
                        inputs: [s.majors[k].input], s: s};
            }
        }

        if (m[3] === 'adjust' && s.agree) {
            return {err: s.adjErr,
                    focus: s.agree.disabled ? s.inst : s.agree,
                    inputs: [s.agree, s.disagree], s: s};
        }

        return {err: s.err, focus: s.inst, inputs: [], s: s};
    }


    function addError(t, text) {
        t.err.textContent = t.err.textContent
                            ? t.err.textContent + '；' + text : text;
        t.err.hidden = false;
        t.s.fs.classList.add('has-err');
        t.inputs.forEach(function (x) {
            x.setAttribute('aria-invalid', 'true');
        });
    }


    function clearError(t) {
        if (!t) {
            return;
        }

        t.err.textContent = '';
        t.err.hidden = true;
        t.inputs.forEach(function (x) { x.removeAttribute('aria-invalid'); });

        if (!t.s.fs.querySelector('.err:not([hidden])')) {
            t.s.fs.classList.remove('has-err');
        }
    }


    function clearErrors() {
        var box = byId('summary');

        document.querySelectorAll('#sections .err').forEach(function (x) {
            x.textContent = '';
            x.hidden = true;
        });
        document.querySelectorAll('#sections [aria-invalid]')
            .forEach(function (x) { x.removeAttribute('aria-invalid'); });
        document.querySelectorAll('#sections .has-err')
            .forEach(function (x) { x.classList.remove('has-err'); });

        box.textContent = '';
        box.hidden = true;
        box.className = 'summary';
    }


    /* the summary: a heading, the items (links to their fields), a link */

    function summary(title, items, link, kind) {
        var box = byId('summary');
        var list;

        box.textContent = '';
        box.className = 'summary' + (kind ? ' summary-' + kind : '');
        box.append(el('h2', {text: title}));

        if (items && items.length) {
            list = el('ul');

            items.forEach(function (it) {
                list.append(el('li', null, it.focus
                    ? el('a', {href: '#' + it.focus, 'data-focus': it.focus,
                               text: it.text})
                    : it.text));
            });

            box.append(list);
        }

        if (link) {
            box.append(el('p', null, el('a', {href: link.href,
                                              text: link.text})));
        }

        box.hidden = false;
        box.focus();
    }


    function showErrors(data, title) {
        var list = Array.isArray(data.errors) ? data.errors
                   : data.field ? [{field: data.field,
                                    message: data.message}]
                   : [];
        var items = [];

        clearErrors();

        list.forEach(function (e) {
            var t = target(e);
            var text = e.message || '信息有误';

            if (t) {
                addError(t, text);
                items.push({text: text, focus: t.focus.id});

            } else {
                items.push({text: text});
            }
        });

        summary(data.message || title, items, null, 'error');
    }


    function status(text, kind) {
        var box = byId('status');

        box.textContent = text || '';
        box.className = 'status' + (kind ? ' status-' + kind : '');
    }


    /* drafts in localStorage, keyed by exam number and batch */

    function draftKey() {
        return heao.draftKey(candidate.exam_no, code);
    }


    function markDirty() {
        byId('dirty').hidden = same(current(), saved);
    }


    function keepDraft() {
        var app = current();

        if (same(app, saved)) {
            writeJson(localStorage, draftKey(), null);

        } else {
            writeJson(localStorage, draftKey(),
                      {at: Date.now(), application: app});
        }

        byId('dirty').hidden = same(app, saved);
    }


    function offerDraft() {
        var d = readJson(localStorage, draftKey());

        if (!d || !d.application || same(normalize(d.application), saved)) {
            return;
        }

        offered = d;
        byId('draft-text').textContent =
            '您在' + heao.fmtTime(Math.floor(d.at / 1000))
            + '填写的志愿尚未保存，与上次保存的志愿不同。'
            + '恢复后请检查并点击“保存志愿”，否则不会生效。';
        byId('draft').hidden = false;
    }


    function restoreDraft() {
        apply(offered.application);
        keepDraft();
        byId('draft').hidden = true;
        status('已恢复未保存的草稿，请检查后点击“保存志愿”。', 'info');
        focusFirst();
    }


    function discardDraft() {
        offered = null;
        writeJson(localStorage, draftKey(), null);
        keepDraft();
        byId('draft').hidden = true;
        status('已丢弃草稿。', 'info');
        focusFirst();
    }


    function focusFirst() {
        if (grid[0] && grid[0][0]) {
            grid[0][0].inst.focus();
        }
    }


    /* the countdown of the fill session (F13) */

    function mmss(secs) {
        var m = Math.floor(secs / 60);
        var s = secs % 60;

        return (m < 10 ? '0' : '') + m + ':' + (s < 10 ? '0' : '') + s;
    }


    function tick() {
        var left = Math.ceil(begin.fill_expires_at - heao.now());

        if (left <= 0) {
            byId('timer').textContent = '00:00';
            endSession();
            return;
        }

        byId('timer').textContent = mmss(left);

        if (left <= WARN_SECONDS && !warned) {
            warned = true;
            byId('timerbar').classList.add('warn');
            byId('timer-alert').textContent =
                '填报时间只剩不到5分钟，请尽快点击“保存志愿”。';
        }
    }


    function endSession() {
        var link = {href: 'notice.html?batch=' + encodeURIComponent(code),
                    text: '重新进入填报'};

        if (expired) {
            return;
        }

        expired = true;
        clearInterval(ticker);
        writeJson(sessionStorage, store('begin'), null);

        byId('timerbar').classList.add('warn', 'ended');
        byId('timer-label').textContent = '本次填报时间已结束：';
        byId('timer').textContent = '00:00';
        byId('save').disabled = true;
        byId('check').disabled = true;
        byId('timer-alert').textContent = '本次填报时间已结束。';

        summary('本次填报时间已结束', [{
            text: '保存功能已停用，当前填写的内容没有保存。'
                  + '您填写的内容已作为草稿保留在本机，'
                  + '重新进入填报后可以恢复。'
        }], link, 'error');
    }


    /* 检查 (F17) and 保存志愿 */

    /* buttons off while a request runs; focus goes back where it was */

    var busyFocus = null;

    function setBusy(on) {
        if (on) {
            busyFocus = document.activeElement;
        }

        busy = on;
        byId('save').disabled = on || expired;
        byId('check').disabled = on || expired;
        byId('reset').disabled = on;
        byId('fill-form').setAttribute('aria-busy', on ? 'true' : 'false');

        if (!on && busyFocus && !busyFocus.disabled
            && (document.activeElement === document.body
                || document.activeElement === null))
        {
            busyFocus.focus();
        }
    }


    function browseLink(data) {
        var q = new URLSearchParams();

        q.set('batch', code);
        q.set('reason', data.reason || 'no_change');

        if (typeof data.next_change_at === 'number') {
            q.set('next', String(data.next_change_at));
        }

        if (data.message) {
            q.set('msg', data.message);
        }

        return {href: 'browse.html?' + q.toString(), text: '浏览已保存的志愿'};
    }


    function answer(r, what) {
        if (r.status === 422 || (r.status === 400 && r.data.field)) {
            showErrors(r.data, '志愿信息有误，请按提示修改');
            status(what + '未通过，请按提示修改。', 'error');
            return;
        }

        if (r.status === 409 && r.data.error === 'fill_expired') {
            endSession();
            return;
        }

        if (r.status === 409 && r.data.error === 'fill_not_begun') {
            summary(heao.message(r), null, {
                href: 'notice.html?batch=' + encodeURIComponent(code),
                text: '阅读填报须知并开始填报'
            }, 'error');
            status('', '');
            return;
        }

        if (r.status === 409) {
            summary(heao.message(r), null, browseLink(r.data), 'error');
            status('', '');
            return;
        }

        summary(heao.message(r), null, null, 'error');
        status('', '');
    }


    async function check() {
        var r;

        if (busy || expired) {
            return;
        }

        clearErrors();
        setBusy(true);
        status('正在检查…', 'info');

        try {
            r = await heao.api('POST', '/api/fill/' + code + '/check',
                               {application: current()});

        } catch (e) {
            status('网络异常，未能完成检查，请稍后重试。', 'error');
            return;

        } finally {
            setBusy(false);
        }

        if (r.status === 200 && r.data.ok) {
            status('检查通过：志愿信息符合填报规则。检查不会保存志愿，'
                   + '请点击“保存志愿”保存。', 'ok');
            return;
        }

        answer(r, '检查');
    }


    function uuid() {
        var b, h;

        if (window.crypto && crypto.randomUUID) {
            return crypto.randomUUID();
        }

        b = crypto.getRandomValues(new Uint8Array(16));
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        h = Array.from(b, function (x) {
            return (x < 16 ? '0' : '') + x.toString(16);
        }).join('');

        return h.substr(0, 8) + '-' + h.substr(8, 4) + '-' + h.substr(12, 4)
               + '-' + h.substr(16, 4) + '-' + h.substr(20);
    }


    async function save() {
        var app, appJson, id, r;

        if (busy || expired) {
            return;
        }

        app = current();
        appJson = JSON.stringify(app);

        /* the same content after a lost answer goes with the same id */
        id = pending && pending.app === appJson ? pending.id : uuid();
        pending = {id: id, app: appJson};
        writeJson(sessionStorage, store('pending'), pending);

        clearErrors();
        setBusy(true);
        status('正在保存志愿，请稍候…', 'info');

        try {
            r = await heao.api('POST', '/api/fill/' + code + '/save',
                               '{"save_id":' + JSON.stringify(id)
                               + ',"application":' + appJson + '}',
                               {timeout: SAVE_TIMEOUT_MS});

        } catch (e) {
            status('网络异常，未能确认志愿是否已保存。请检查网络后再次点击'
                   + '“保存志愿”重试，重试不会多用保存次数。', 'error');
            return;

        } finally {
            setBusy(false);
        }

        if (r.status === 503) {
            status('系统繁忙，志愿尚未保存。请稍后再次点击“保存志愿”。',
                   'error');
            return;
        }

        pending = null;
        writeJson(sessionStorage, store('pending'), null);

        if (r.status === 200 && r.data.saved) {
            writeJson(localStorage, draftKey(), null);
            writeJson(sessionStorage, store('begin'), null);
            status('志愿保存成功，正在跳转…', 'ok');
            location.assign('browse.html?batch=' + encodeURIComponent(code)
                            + '&saved=' + encodeURIComponent(r.data.save_no));
            return;
        }

        answer(r, '保存');
    }


    function askReset() {
        var dlg = byId('reset-dialog');

        dlg.returnValue = '';
        dlg.showModal();
    }


    function reset() {
        grid.forEach(function (row) {
            row.forEach(function (s) {
                s.inst.value = '';
                s.majors.forEach(function (m) { m.input.value = ''; });
                syncAdjust(s);
                showNames(s);
            });
        });

        clearErrors();
        keepDraft();
        status('已清空本页填写的志愿信息（尚未保存）。', 'info');
        focusFirst();
    }


    function onInput(ev) {
        var t = ev.target;
        var s = slotOf(t);
        var v, k;

        if (!s) {
            return;
        }

        if (t.type === 'text') {
            v = digits(t.value, Number(t.getAttribute('maxlength')));

            if (v !== t.value) {
                t.value = v;
            }
        }

        clearError(target({field: t.getAttribute('data-field')}));

        if (t === s.inst) {
            syncAdjust(s);
            showNames(s);

        } else if (t.type === 'text') {
            k = s.majors.findIndex(function (m) { return m.input === t; });
            showMajor(s, k);
            syncAdjust(s);
        }

        keepDraft();
    }


    function bind() {
        var form = byId('fill-form');
        var dlg = byId('reset-dialog');

        form.addEventListener('submit', function (ev) {
            ev.preventDefault();
        });
        form.addEventListener('input', onInput);
        byId('save').addEventListener('click', save);
        byId('check').addEventListener('click', check);
        byId('reset').addEventListener('click', askReset);
        byId('draft-restore').addEventListener('click', restoreDraft);
        byId('draft-discard').addEventListener('click', discardDraft);

        dlg.addEventListener('close', function () {
            if (dlg.returnValue === 'confirm') {
                reset();
            }
        });

        byId('summary').addEventListener('click', function (ev) {
            var id = ev.target.getAttribute('data-focus');

            if (id) {
                ev.preventDefault();
                byId(id).focus();
            }
        });
    }


    function fail(text, link) {
        var box = byId('load-msg');

        box.textContent = text;

        if (link) {
            box.append(' ', el('a', {href: link.href, text: link.text}));
        }

        box.hidden = false;
    }


    function reminders() {
        var last = begin.last_batch;
        var lastName;

        byId('closes').textContent = heao.fmtTime(begin.closes_at);
        byId('fill-until').textContent = '本次填报须在'
            + heao.fmtTime(begin.fill_expires_at) + '前保存。';

        if (last && last !== code) {
            lastName = begin.last_batch_name
                || (batchesByCode[last] ? batchesByCode[last].name : last);
            byId('last-batch').textContent = '上次填报了[' + lastName
                + ']志愿。在本批次保存将覆盖它。';
            byId('last-batch').hidden = false;
        }

        byId('saves-left').textContent =
            (begin.saves_used > 0 ? '保存1个小时后可继续修改，' : '')
            + '还剩' + begin.saves_left + '次保存机会。';

        if (begin.fill_expires_at >= begin.closes_at) {
            byId('timer-label').textContent = '距本批次填报截止，还剩：';
        }
    }


    async function init() {
        var s, rb;

        if (!code) {
            fail('未指定填报批次。', {href: 'home.html', text: '返回考生主页'});
            return;
        }

        begin = readJson(sessionStorage, store('begin'));

        if (!begin || begin.batch !== code
            || typeof begin.fill_expires_at !== 'number')
        {
            location.replace('notice.html?batch=' + encodeURIComponent(code));
            return;
        }

        pending = readJson(sessionStorage, store('pending'));

        try {
            s = await heao.session();
            rb = await heao.api('GET', '/api/batches');

        } catch (e) {
            fail('网络异常，请检查网络后刷新页面。');
            return;
        }

        heao.showCandidate(s);
        candidate = s.candidate;

        if (rb.status !== 200) {
            fail(heao.message(rb));
            return;
        }

        heao.syncClock(rb.data.now);
        (rb.data.batches || []).forEach(function (b) {
            batchesByCode[b.code] = b;
        });
        batch = batchesByCode[code];

        if (!batch || !batch.shape || !Array.isArray(batch.shape.sections)) {
            fail('没有这个填报批次。', {href: 'home.html',
                                        text: '返回考生主页'});
            return;
        }

        document.title = '【' + batch.name + '】志愿填报 - '
                         + '河南省普通高校招生考生服务平台';
        byId('fill-h').textContent = '【' + batch.name + '】志愿填报';

        buildForm();
        bind();
        saved = normalize(begin.application);
        apply(begin.application);
        reminders();
        offerDraft();

        byId('fill-layout').hidden = false;
        byId('timerbar').hidden = false;
        tick();

        if (!expired) {
            ticker = setInterval(tick, 1000);
        }
    }


    init();

})();
