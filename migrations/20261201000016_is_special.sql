-- One definition of the notice's special targets (特殊救助对象) for SQL: a minor, an elderly
-- person, a person with a mental disorder (intake::SPECIAL_TARGETS is the Rust one). The heat-map
-- inbox triggers, the maps, the reports and Open311's public view all ask it.
create function is_special(categories text[]) returns boolean
    language sql immutable parallel safe
    return categories && array['minor', 'elderly', 'mental_disorder'];

create or replace function heat_inbox_sighting() returns trigger language plpgsql as $$
begin
    if new.h3_r9 is not null then
        insert into heat_inbox (layer, day, r9, people, special)
        values ('sightings', (new.observed_at at time zone 'Asia/Shanghai')::date, new.h3_r9,
                new.people_count, is_special(new.categories));
    end if;
    return null;
end $$;

create or replace function heat_inbox_referral() returns trigger language plpgsql as $$
begin
    if new.h3_r9 is not null then
        insert into heat_inbox (layer, day, r9, people, special)
        values ('referrals', (new.reported_at at time zone 'Asia/Shanghai')::date, new.h3_r9,
                new.people_count, is_special(new.categories));
    end if;
    return null;
end $$;
