-- Every committed change to a referral is announced on `xunjiu_referrals` with the stations it
-- concerns, so that open consoles refresh their queues at once. NOTIFY is transactional:
-- nothing is announced for a rolled-back step.
create function notify_referral_change() returns trigger language plpgsql as $$
declare
    stations text[] := array[new.station_code, new.accountable_station];
begin
    if tg_op = 'UPDATE' then
        stations := stations || array[old.station_code, old.accountable_station];
    end if;
    perform pg_notify('xunjiu_referrals', json_build_object(
        'id', new.id,
        'stations', (select array_agg(distinct s) from unnest(stations) s)
    )::text);
    return null;
end $$;

create trigger referrals_notify_change after insert or update on referrals
    for each row execute function notify_referral_change();
