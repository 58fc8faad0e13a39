-- 018: a change of what guards an account (a password, the phone, the
-- dynamic password, WeChat, the 密码验证信息) is noticed on the bound
-- channels in its own transaction (A12).  The functions that store these
-- changes take the arrival time and the client address from now on:
-- sql/functions creates them again after the migrations, and the old
-- forms go, so that no caller stores a change without its notice.

drop function if exists heao.change_password(bigint, text);
drop function if exists heao.totp_bind(bigint, text);
drop function if exists heao.totp_unbind(bigint);
drop function if exists heao.reset_password(bigint, text, text);
drop function if exists heao.set_phone(bigint, text);
drop function if exists heao.set_verify_info(bigint, text);
drop function if exists heao.wechat_bind(bigint, text);

comment on column heao.outbox.payload is
    'what the sender needs besides the address, which it reads from the'
    ' candidate row when sending: {"title", "text" (short, for SMS),'
    ' "time" (epoch), "client", "batch", "save_no", "checksum", ...};'
    ' "phone" or "openid" when the row goes elsewhere: a number being'
    ' added (a code), a phone or WeChat account a change took away (a'
    ' notice of kind account)';
