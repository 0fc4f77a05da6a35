-- Personal data of vulnerable people (PIPL): scopes by county and hotline channel, redaction
-- after a retention period or on request, and a log of who read personal fields.

-- A hotline operator works one channel (110 or 12345) and reads what came through it. Accounts
-- made before this have none and read only what they filed.
alter table users add column channel text constraint users_channel_known check (channel in ('110', '12345'));

-- The county a record belongs to: the county-level area holding its place or, outside every
-- area (within the service margin), the county of its station. One definition for every query.
create function county_of(area_code text, station_code text) returns text
    language sql stable parallel safe
    return coalesce(area_code, (select s.county_code from stations s where s.code = station_code));

-- The counties whose records a station's queue shows to their supervisors: the areas it answers
-- for (属地) and the county it stands in.
create function station_serves_county(station text, county text) returns boolean
    language sql stable parallel safe
    return exists (select 1 from areas a where a.code = county and a.station_code = station)
        or exists (select 1 from stations s where s.code = station and s.county_code = county);

alter table referrals add column redacted_at timestamptz;
alter table sightings add column redacted_at timestamptz;
-- What the retention worker scans: ended referrals not yet redacted.
create index referrals_retention_idx on referrals (coalesce(closed_at, resolved_at))
    where redacted_at is null and resolved_at is not null;
create index sightings_retention_idx on sightings (received_at) where redacted_at is null;

-- The event log allows exactly one change: blanking a note (redaction). Anything else, and
-- every delete or truncate, is refused as before.
create or replace function referral_events_are_append_only() returns trigger language plpgsql as $$
begin
    if tg_op = 'UPDATE' and new.note is null
       and to_jsonb(new) - 'note' = to_jsonb(old) - 'note' then
        return new;
    end if;
    raise exception 'referral_events is append-only' using errcode = 'P0001';
end $$;

-- A sighting has no duty timeline; what happens to the record itself (a redaction) is kept here.
create table sighting_events (
    id bigserial primary key,
    sighting_id uuid not null constraint sighting_events_sighting_fk references sightings (id),
    kind text not null constraint sighting_events_kind_known check (kind in ('redacted')),
    actor_id uuid constraint sighting_events_actor_fk references users (id),
    note text,
    at timestamptz not null
);
create index sighting_events_sighting_idx on sighting_events (sighting_id, id);

-- Who read which record's personal fields, and when. Evidence, so append-only.
create table access_log (
    id bigserial primary key,
    at timestamptz not null,
    reader_id uuid constraint access_log_reader_fk references users (id),
    partner_id uuid constraint access_log_partner_fk references partners (id),
    record_kind text not null constraint access_log_kind_known check (record_kind in ('referral', 'sighting')),
    record_id uuid not null,
    -- The request path template that answered, e.g. /api/v1/referrals/{id}.
    via text not null,
    constraint access_log_has_reader check ((reader_id is null) <> (partner_id is null))
);
create index access_log_record_idx on access_log (record_id, at);
create index access_log_reader_idx on access_log (reader_id, at);
create index access_log_at_idx on access_log (at);

create function append_only() returns trigger language plpgsql as $$
begin
    raise exception '% is append-only', tg_table_name using errcode = 'P0001';
end $$;
create trigger access_log_no_change before update or delete on access_log
    for each row execute function append_only();
create trigger access_log_no_truncate before truncate on access_log
    for each statement execute function append_only();
create trigger sighting_events_no_change before update or delete on sighting_events
    for each row execute function append_only();
create trigger sighting_events_no_truncate before truncate on sighting_events
    for each statement execute function append_only();

-- Clean-up of what has served its purpose: revoked or expired sessions, delivered pushes.
create index sessions_expires_idx on sessions (expires_at);
create index push_outbox_delivered_idx on push_outbox (delivered_at) where delivered_at is not null;
