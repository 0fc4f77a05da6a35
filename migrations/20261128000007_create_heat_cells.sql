-- Heat-maps: each report's H3 cell (resolution 9, computed in Rust with h3o: there is no H3
-- extension in Debian), and a rollup per local day kept in step with every insert, so a
-- city-wide map sums a few thousand rows instead of scanning a million.
alter table sightings add column h3_r9 bigint;
alter table referrals add column h3_r9 bigint;

create table heat_cells (
    layer text not null constraint heat_cells_layer_known check (layer in ('sightings', 'referrals')),
    resolution smallint not null constraint heat_cells_resolution_range check (resolution between 5 and 9),
    day date not null,          -- local date (Asia/Shanghai)
    cell bigint not null,       -- H3 index at `resolution`
    reports integer not null,
    people integer not null,
    special integer not null,   -- reports with a special target (minor, elderly, mental disorder)
    primary key (layer, resolution, day, cell)
);
