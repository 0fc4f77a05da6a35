-- Servers keep live sessions in memory; every change that could end or alter one is announced
-- on `xunjiu_sessions` with the account's id (a logout, an expiry change, a disabled account, a
-- new role or station), so each server forgets that account's sessions at once.
create function notify_session_change() returns trigger language plpgsql as $$
begin
    if tg_table_name = 'users' then
        perform pg_notify('xunjiu_sessions', coalesce(new.id, old.id)::text);
    else
        perform pg_notify('xunjiu_sessions', coalesce(new.user_id, old.user_id)::text);
    end if;
    return null;
end $$;

create trigger sessions_notify_change after update or delete on sessions
    for each row execute function notify_session_change();
create trigger users_notify_change after update or delete on users
    for each row execute function notify_session_change();
