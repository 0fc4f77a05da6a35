-- Sessions expire after XUNJIU_SESSION_IDLE_HOURS without use as well as at their absolute end.
-- A session's use is written at most every few minutes; that write changes nothing a server
-- caches, so it is not announced (only revocations, expiries and deletions are).
alter table sessions add column last_used_at timestamptz;
update sessions set last_used_at = created_at;
alter table sessions alter column last_used_at set not null;

drop trigger sessions_notify_change on sessions;
create trigger sessions_notify_change after update on sessions
    for each row
    when (old.revoked_at is distinct from new.revoked_at
          or old.expires_at is distinct from new.expires_at
          or old.user_id is distinct from new.user_id)
    execute function notify_session_change();
create trigger sessions_notify_delete after delete on sessions
    for each row execute function notify_session_change();
