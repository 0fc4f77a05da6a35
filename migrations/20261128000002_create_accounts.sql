-- Accounts, bearer-token sessions, and failed-login bookkeeping.

create table users (
    id uuid primary key default gen_random_uuid(),
    username text not null,
    role text not null constraint users_role_known
        check (role in ('patrol', 'hotline', 'duty', 'supervisor', 'admin')),
    -- The station a duty officer serves.
    station_code text constraint users_station_fk references stations (code),
    -- Patrol officers: which force, and their unit (e.g. 泰山区公安分局).
    agency text constraint users_agency_known check (agency in ('police', 'urban_management', 'other')),
    unit text,
    -- Supervisors of one county (six-digit code); null means the whole city.
    county_code text constraint users_county_fk references areas (code),
    password_hash text not null,
    disabled_at timestamptz,
    created_at timestamptz not null default now(),
    constraint users_duty_has_station check (role <> 'duty' or station_code is not null),
    constraint users_patrol_has_agency check (role <> 'patrol' or agency is not null)
);
create unique index users_username_key on users (lower(username));

-- A token is shown to its holder once; only its SHA-256 is kept.
create table sessions (
    token_hash bytea primary key,
    user_id uuid not null constraint sessions_user_fk references users (id),
    created_at timestamptz not null,
    expires_at timestamptz not null,
    revoked_at timestamptz
);
create index sessions_user_idx on sessions (user_id);

create table login_failures (
    username text primary key,
    failures integer not null,
    last_failed_at timestamptz not null
);
