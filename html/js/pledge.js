/*
 * heao: pledge.html?batch=: the pledge letter of a directed plan (I4),
 * for the candidate to print, sign and hand in to the county office
 * within three days of the batch's close.
 */

'use strict';

(function () {

    var el = heao.el;


    function letter(d) {
        var kinds = [];
        var tbody = el('tbody');

        d.choices.forEach(function (c) {
            if (kinds.indexOf(c.directed) < 0) {
                kinds.push(c.directed);
            }

            tbody.append(el('tr', null,
                el('td', {class: 'code', 'data-label': '院校代号',
                          text: c.institution.code}),
                el('td', {'data-label': '院校名称',
                          text: c.institution.name}),
                el('td', {class: 'code', 'data-label': '专业代号',
                          text: c.major.code}),
                el('td', {'data-label': '专业名称', text: c.major.name}),
                el('td', {'data-label': '定向类别', text: c.directed})));
        });

        return el('article', {class: 'pledge', id: 'pledge'},
            el('h1', {class: 'pledge-title',
                      text: kinds.join('、') + '承诺书'}),
            el('table', {class: 'list rtable', id: 'pledge-who'},
                el('caption', {class: 'sr-only', text: '考生信息'}),
                el('tbody', null,
                    el('tr', null, el('th', {scope: 'row', text: '考生号'}),
                       el('td', {text: d.candidate.exam_no}),
                       el('th', {scope: 'row', text: '姓名'}),
                       el('td', {text: d.candidate.name})),
                    el('tr', null, el('th', {scope: 'row', text: '证件号码'}),
                       el('td', {text: d.candidate.id_no}),
                       el('th', {scope: 'row', text: '性别'}),
                       el('td', {text: d.candidate.gender === 'M'
                                       ? '男' : '女'})))),
            el('p', {text: '本人在【' + d.batch_name + '】填报了以下'
                           + kinds.join('、') + '志愿（志愿校验值：'
                           + d.checksum + '）：'}),
            el('table', {class: 'list rtable', id: 'pledge-choices'},
                el('caption', {class: 'sr-only', text: '定向志愿'}),
                el('thead', null, el('tr', null,
                    el('th', {scope: 'col', text: '院校代号'}),
                    el('th', {scope: 'col', text: '院校名称'}),
                    el('th', {scope: 'col', text: '专业代号'}),
                    el('th', {scope: 'col', text: '专业名称'}),
                    el('th', {scope: 'col', text: '定向类别'}))),
                tbody),
            el('p', {text: '本人已认真阅读有关招生政策，自愿填报以上定向志愿，'
                           + '承诺被录取后按规定签订定向就业协议，'
                           + '毕业后到定向地区或单位就业。如违反承诺，'
                           + '愿承担相应责任，并记入个人诚信档案。'}),
            el('p', {class: 'strong', id: 'pledge-deadline',
                     text: '请于' + heao.fmtDay(d.deadline)
                           + '（北京时间）前将签字后的承诺书交报名所在地'
                           + '县（市、区）招生考试机构。'}),
            el('p', {class: 'sign', text: '考生签字：＿＿＿＿＿＿　'
                                          + '监护人签字：＿＿＿＿＿＿　'
                                          + '日期：＿＿＿＿年＿＿月＿＿日'}));
    }


    async function init() {
        var box = document.getElementById('letter');
        var batch = heao.batchParam();
        var s, r;

        document.getElementById('print').addEventListener('click',
            function () { window.print(); });

        try {
            s = await heao.session();
            heao.showCandidate(s);

            if (!batch) {
                box.textContent = '请从浏览志愿页面打印承诺书。';
                return;
            }

            r = await heao.api('GET', '/api/pledge/'
                                      + encodeURIComponent(batch));

        } catch (e) {
            box.textContent = '网络异常，请检查网络后刷新页面。';
            return;
        }

        if (r.status !== 200) {
            box.textContent = heao.message(r);
            return;
        }

        box.textContent = '';
        box.append(letter(r.data));
    }


    init();

})();
