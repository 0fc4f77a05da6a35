-- A map reads a resolution's cells over a span of days or months: tens of thousands of rows
-- that the rollup worker wrote at scattered places in the table, one page read per row. With
-- the sums carried in the key's index the read stays inside the index, where those rows are
-- neighbours (the 1 km city map's daily part: 142 ms -> 29 ms over a million sightings). It
-- needs the visibility map, so these tables are vacuumed sooner than the defaults would.
alter table heat_cells
    drop constraint heat_cells_pkey,
    add constraint heat_cells_pkey primary key (layer, resolution, day, cell)
        include (reports, people, special);
alter table heat_cells_month
    drop constraint heat_cells_month_pkey,
    add constraint heat_cells_month_pkey primary key (layer, resolution, month, cell)
        include (reports, people, special);
alter table heat_cells set (
    autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.02);
alter table heat_cells_month set (
    autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.02);
