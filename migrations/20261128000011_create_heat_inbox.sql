-- Heat-map rollups off the writers' path. Keeping heat_cells current inside every inserting
-- transaction made concurrent reports queue on the lock of the same few city-wide cells until
-- each committed. Now every insert drops its share into heat_inbox (a trigger, so every way in
-- is covered), a worker folds the inbox into the rollups in batches, and readers add the inbox
-- to the rollups in one snapshot, so the counts stay exact.
create table heat_inbox (
    id bigserial primary key,
    layer text not null constraint heat_inbox_layer_known check (layer in ('sightings', 'referrals')),
    day date not null,          -- local date (Asia/Shanghai) of observed_at / reported_at
    r9 bigint not null,
    people integer not null,
    special boolean not null
);
create index heat_inbox_layer_day_idx on heat_inbox (layer, day);

create function heat_inbox_sighting() returns trigger language plpgsql as $$
begin
    if new.h3_r9 is not null then
        insert into heat_inbox (layer, day, r9, people, special)
        values ('sightings', (new.observed_at at time zone 'Asia/Shanghai')::date, new.h3_r9,
                new.people_count, new.categories && array['minor', 'elderly', 'mental_disorder']);
    end if;
    return null;
end $$;

create function heat_inbox_referral() returns trigger language plpgsql as $$
begin
    if new.h3_r9 is not null then
        insert into heat_inbox (layer, day, r9, people, special)
        values ('referrals', (new.reported_at at time zone 'Asia/Shanghai')::date, new.h3_r9,
                new.people_count, new.categories && array['minor', 'elderly', 'mental_disorder']);
    end if;
    return null;
end $$;

create trigger sightings_heat_inbox after insert on sightings
    for each row execute function heat_inbox_sighting();
create trigger referrals_heat_inbox after insert on referrals
    for each row execute function heat_inbox_referral();
