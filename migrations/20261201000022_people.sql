-- People, not only reports (源头治理): person records with their reports, the at-risk register
-- with revisits (易流浪走失人员信息库, revisits at least every two months for a year), the
-- returnee ledger (返乡人员信息台账), family-tracing steps (寻亲), and township liaisons
-- (救助联络员), the fourth level of the network. Names, ID numbers, addresses, descriptions and
-- notes here are personal data: read in scope, every read logged.

create table townships (
    code text primary key constraint townships_code_format check (code ~ '^[0-9]{9}$'),
    name text not null,
    county_code text not null constraint townships_county_fk references areas (code)
);

-- A liaison works one township (and perhaps one village of it).
alter table users drop constraint users_role_known;
alter table users add constraint users_role_known
    check (role in ('patrol', 'hotline', 'duty', 'supervisor', 'admin', 'liaison'));
alter table users
    add column township_code text constraint users_township_fk references townships (code),
    add column village text,
    add constraint users_liaison_has_township check (role <> 'liaison' or township_code is not null);

alter table referrals drop constraint referrals_channel_known;
alter table referrals add constraint referrals_channel_known check (channel in (
    '110', '12345', 'patrol', 'volunteer', 'taxi', 'sanitation_security', 'charity', 'public',
    'station_phone', 'walk_in', 'liaison'));

alter table access_log drop constraint access_log_kind_known;
alter table access_log add constraint access_log_kind_known
    check (record_kind in ('referral', 'sighting', 'incident', 'person'));

create table people (
    id uuid primary key,
    name text,
    alias text,
    sex text not null constraint people_sex_known check (sex in ('male', 'female', 'unknown')),
    birth_year integer constraint people_birth_year_range check (birth_year between 1900 and 2100),
    age_estimate integer constraint people_age_range check (age_estimate between 0 and 130),
    -- An 18-character resident ID (GB 11643), check digit verified at intake.
    id_number text constraint people_id_number_format check (id_number ~ '^[0-9]{17}[0-9X]$'),
    home_address text,
    -- Any six-digit division code: people come from all over China.
    home_county_code text constraint people_home_county_format check (home_county_code ~ '^[0-9]{6}$'),
    description text,
    created_by uuid not null constraint people_creator_fk references users (id),
    created_at timestamptz not null,
    updated_at timestamptz not null,
    request_hash bytea not null,
    constraint people_one_age check (birth_year is null or age_estimate is null)
);
create index people_id_tail_idx on people (right(id_number, 4));
create index people_name_idx on people (lower(name));

-- What happened to a record: created, corrected (with the fields changed, not their values),
-- reports linked, register and ledger entries, revisits, tracing steps.
create table person_events (
    id bigserial primary key,
    person_id uuid not null constraint person_events_person_fk references people (id),
    kind text not null,
    actor_id uuid constraint person_events_actor_fk references users (id),
    at timestamptz not null,
    detail jsonb not null default '{}'
);
create index person_events_person_idx on person_events (person_id, id);
create trigger person_events_no_change before update or delete on person_events
    for each row execute function append_only();

alter table referrals add column person_id uuid constraint referrals_person_fk references people (id);
alter table sightings add column person_id uuid constraint sightings_person_fk references people (id);
create index referrals_person_idx on referrals (person_id) where person_id is not null;
create index sightings_person_idx on sightings (person_id) where person_id is not null;

-- The at-risk register: one open entry a person; revisits are due every XUNJIU_REVISIT_DAYS
-- from registration (or the last revisit) until a supervisor ends it, no sooner than
-- XUNJIU_REVISIT_PERIOD_DAYS after registration.
create table register_entries (
    id uuid primary key,
    person_id uuid not null constraint register_entries_person_fk references people (id),
    reason text not null,
    township_code text not null constraint register_entries_township_fk references townships (code),
    village text,
    registered_by uuid not null constraint register_entries_registrar_fk references users (id),
    registered_at timestamptz not null,
    ended_by uuid constraint register_entries_ender_fk references users (id),
    ended_at timestamptz,
    end_reason text,
    -- The due date whose lapse was last pushed (once per period).
    overdue_pushed_for timestamptz
);
create unique index register_entries_open_idx on register_entries (person_id) where ended_at is null;

-- The returnee ledger: a person escorted home, with the same revisit schedule.
create table returns (
    id uuid primary key,
    person_id uuid not null constraint returns_person_fk references people (id),
    referral_id uuid constraint returns_referral_fk references referrals (id),
    destination_county_code text constraint returns_county_format check (destination_county_code ~ '^[0-9]{6}$'),
    township_code text constraint returns_township_fk references townships (code),
    handed_over_to text,
    family_situation text,
    returned_on date not null,
    created_by uuid constraint returns_creator_fk references users (id),
    created_at timestamptz not null,
    ended_by uuid constraint returns_ender_fk references users (id),
    ended_at timestamptz,
    end_reason text,
    overdue_pushed_for timestamptz
);
create unique index returns_referral_idx on returns (referral_id) where referral_id is not null;
create index returns_person_idx on returns (person_id);

create table revisits (
    id uuid primary key,
    person_id uuid not null constraint revisits_person_fk references people (id),
    at timestamptz not null,
    outcome text not null constraint revisits_outcome_known
        check (outcome in ('at_home', 'moved', 'wandering_again', 'not_found', 'died')),
    note text,
    recorded_by uuid not null constraint revisits_recorder_fk references users (id),
    recorded_at timestamptz not null,
    -- The referral a `wandering_again` raised.
    referral_id uuid constraint revisits_referral_fk references referrals (id),
    request_hash bytea not null
);
create index revisits_person_idx on revisits (person_id, at);

create table tracing_steps (
    id uuid primary key,
    person_id uuid not null constraint tracing_steps_person_fk references people (id),
    step text not null constraint tracing_steps_known check (step in (
        'notice_published', 'dna_sampled', 'face_search', 'media_search', 'identity_found', 'closed')),
    at timestamptz not null,
    note text,
    recorded_by uuid not null constraint tracing_steps_recorder_fk references users (id),
    recorded_at timestamptz not null,
    request_hash bytea not null
);
create index tracing_steps_person_idx on tracing_steps (person_id, at);
