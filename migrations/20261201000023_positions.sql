-- Positions operators can correct, and Chinese map coordinates. A station's point, address and
-- phone may be corrected through the API; every change is kept with who, when and the source,
-- and a reseed leaves a corrected station alone. Positions sent as GCJ-02 or BD-09 are stored
-- in WGS84; what was sent is kept beside them for audit.

alter table stations add column corrected_at timestamptz;

create table station_changes (
    id bigserial primary key,
    station_code text not null constraint station_changes_station_fk references stations (code),
    changed_by uuid not null constraint station_changes_user_fk references users (id),
    changed_at timestamptz not null,
    source text not null,
    old_lat double precision,
    old_lon double precision,
    new_lat double precision,
    new_lon double precision,
    -- The position as sent, when it was not WGS84.
    sent_crs text,
    sent_lat double precision,
    sent_lon double precision,
    old_address text,
    new_address text,
    old_phone text,
    new_phone text
);
create index station_changes_station_idx on station_changes (station_code, id);

create table position_originals (
    record_kind text not null constraint position_originals_kind_known check (record_kind in (
        'sighting', 'referral', 'checkin', 'hotspot', 'incident', 'proposal')),
    record_id uuid not null,
    crs text not null constraint position_originals_crs_known check (crs in ('gcj02', 'bd09')),
    lat double precision not null,
    lon double precision not null,
    recorded_at timestamptz not null,
    primary key (record_kind, record_id, recorded_at)
);
