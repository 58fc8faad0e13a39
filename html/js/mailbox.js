/*
 * heao: mailbox.html: the read-only messages, newest first, with the
 * unread count (I1).  Opening a message marks it read.
 */

'use strict';

(function () {

    var el = heao.el;

    var KIND_TEXT = {save: '保存志愿', abandon: '放弃志愿', pledge: '承诺书',
                     restore: '志愿恢复', score: '成绩', admission: '录取',
                     health: '体检'};


    function showUnread(n) {
        document.getElementById('unread-count').textContent =
            n > 0 ? '（未读' + n + '封）' : '（无未读邮件）';
        heao.showUnread(n);
    }


    async function markRead(m, item) {
        var r;

        if (m.read) {
            return;
        }

        try {
            r = await heao.api('POST', '/api/mailbox/' + m.id + '/read', {});

        } catch (e) {
            return;
        }

        if (r.status === 200) {
            m.read = true;
            item.classList.remove('unread-item');
            item.querySelector('.tag').remove();
            showUnread(r.data.unread);
        }
    }


    function render(data) {
        var box = document.getElementById('messages');
        var list = el('ul', {class: 'plain mail', id: 'mail-list'});

        box.textContent = '';
        showUnread(data.unread);

        if (!data.messages.length) {
            box.append(el('p', {class: 'muted', text: '暂无邮件。'}));
            return;
        }

        data.messages.forEach(function (m) {
            var det = el('details', {id: 'mail-' + m.id},
                el('summary', null,
                    m.read ? null : el('span', {class: 'tag tag-open',
                                                text: '未读'}),
                    el('span', {class: 'mail-title', text: m.title}),
                    el('span', {class: 'muted',
                                text: '　' + (KIND_TEXT[m.kind] || '通知')
                                      + '　' + heao.fmtTime(m.created_at)})),
                el('p', {class: 'mail-body', text: m.body}));
            var item = el('li', {class: m.read ? '' : 'unread-item'}, det);

            det.addEventListener('toggle', function () {
                if (det.open) {
                    markRead(m, item);
                }
            });

            list.append(item);
        });

        box.append(list);
    }


    async function init() {
        var box = document.getElementById('messages');
        var s, r;

        try {
            s = await heao.session();
            r = await heao.api('GET', '/api/mailbox');

        } catch (e) {
            box.textContent = '网络异常，请检查网络后刷新页面。';
            return;
        }

        heao.showCandidate(s, true);

        if (r.status !== 200) {
            box.textContent = heao.message(r);
            return;
        }

        render(r.data);
    }


    init();

})();
