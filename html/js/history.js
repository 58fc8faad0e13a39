/*
 * heao: history.html: every save of the candidate, newest first, with
 * time, client address, device, content summary and checksum (V4), so
 * that a save somebody else made shows at once.
 */

'use strict';

(function () {

    var el = heao.el;


    function render(saves) {
        var box = document.getElementById('saves');
        var tbody = el('tbody');

        box.textContent = '';

        if (!saves.length) {
            box.append(el('p', {class: 'muted', text: '您还没有保存过志愿。'}));
            return;
        }

        saves.forEach(function (s) {
            tbody.append(el('tr', null,
                el('td', {'data-label': '保存时间',
                          text: heao.fmtTime(s.saved_at)}),
                el('th', {scope: 'row', 'data-label': '批次',
                          text: s.batch_name}),
                el('td', {'data-label': '次数', text: '第' + s.save_no + '次'}),
                el('td', {'data-label': 'IP地址', class: 'code',
                          text: s.client || '—'}),
                el('td', {'data-label': '设备', class: 'device',
                          text: s.device || '—'}),
                el('td', {'data-label': '志愿内容', text: s.summary || ''}),
                el('td', {'data-label': '校验值', class: 'checksum',
                          text: s.checksum})));
        });

        box.append(el('table', {class: 'list rtable', id: 'save-list'},
            el('caption', {class: 'sr-only', text: '志愿保存记录'}),
            el('thead', null, el('tr', null,
                el('th', {scope: 'col', text: '保存时间'}),
                el('th', {scope: 'col', text: '批次'}),
                el('th', {scope: 'col', text: '次数'}),
                el('th', {scope: 'col', text: 'IP地址'}),
                el('th', {scope: 'col', text: '设备'}),
                el('th', {scope: 'col', text: '志愿内容'}),
                el('th', {scope: 'col', text: '校验值'}))),
            tbody));
    }


    async function init() {
        var box = document.getElementById('saves');
        var s, r;

        try {
            s = await heao.session();
            r = await heao.api('GET', '/api/history');

        } catch (e) {
            box.textContent = '网络异常，请检查网络后刷新页面。';
            return;
        }

        heao.showCandidate(s);

        if (r.status !== 200) {
            box.textContent = heao.message(r);
            return;
        }

        render(r.data.saves || []);
    }


    init();

})();
