-- Campaign work: hotspot check-ins, supplies handed out, extreme-weather alerts.

-- Supplies handed out where people decline to come in (自愿求助): [{"item": "quilt", "count": 2}].
alter table sightings add column items_given jsonb not null default '[]';

create table hotspot_checkins (
    id uuid primary key,
    hotspot_id uuid not null constraint hotspot_checkins_hotspot_fk references hotspots (id),
    officer_id uuid not null constraint hotspot_checkins_officer_fk references users (id),
    at timestamptz not null,
    received_at timestamptz not null,
    location geography(Point, 4326) not null,
    accuracy_m double precision,
    -- From the fix to the hotspot, as checked at intake (at most 300 m).
    distance_m double precision not null,
    people_found integer not null constraint hotspot_checkins_people_range check (people_found between 0 and 200),
    items_given jsonb not null default '[]',
    notes text not null default '',
    request_hash bytea not null
);
create index hotspot_checkins_hotspot_at_idx on hotspot_checkins (hotspot_id, at);
create index hotspot_checkins_at_idx on hotspot_checkins (at);

create table alerts (
    id uuid primary key,
    kind text not null constraint alerts_kind_known check (kind in ('cold_wave', 'heat_wave', 'storm')),
    counties text[] not null constraint alerts_has_counties check (cardinality(counties) > 0),
    starts_at timestamptz not null,
    ends_at timestamptz not null,
    note text not null default '',
    created_by uuid not null constraint alerts_creator_fk references users (id),
    created_at timestamptz not null,
    -- Set when the half-way check has run (and told county supervisors what was unvisited).
    halfway_notified_at timestamptz,
    request_hash bytea not null,
    constraint alerts_ends_after_start check (ends_at > starts_at)
);
create index alerts_window_idx on alerts (starts_at, ends_at);
