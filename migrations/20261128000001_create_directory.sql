-- The station directory: the five rescue stations of Annex 2, the county-level areas they answer
-- for (属地管理), and the service area derived from those areas.
create extension if not exists postgis;

create table stations (
    code text primary key constraint stations_code_format check (code ~ '^[a-z][a-z0-9_]{1,31}$'),
    name text not null,
    address text not null,
    phone text not null,
    county_code text not null constraint stations_county_code_format check (county_code ~ '^[0-9]{6}$'),
    -- WGS84 lon/lat; geography so that distances are geodesic metres on the spheroid.
    location geography(Point, 4326) not null,
    -- How far the stored point may be from the real building, and why (see seed/README.md).
    position_note text not null default '',
    position_error_m integer constraint stations_position_error_positive check (position_error_m >= 0),
    source text not null,
    updated_at timestamptz not null default now()
);
create index stations_location_gist on stations using gist (location);

create table areas (
    code text primary key constraint areas_code_format check (code ~ '^[0-9]{6}$'),
    name text not null,
    station_code text not null constraint areas_station_fk references stations (code),
    boundary geometry(MultiPolygon, 4326) not null,
    source text not null,
    updated_at timestamptz not null default now()
);
create index areas_boundary_gist on areas using gist (boundary);

-- One row: the union of the areas grown by the tolerance a GPS fix near the border deserves.
-- Recomputed by `xunjiu seed` whenever the areas change, so requests never buffer polygons.
create table service_area (
    id boolean primary key default true constraint service_area_single_row check (id),
    margin_m double precision not null,
    boundary geometry(MultiPolygon, 4326) not null,
    updated_at timestamptz not null default now()
);
