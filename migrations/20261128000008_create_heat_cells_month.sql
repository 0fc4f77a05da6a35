-- A monthly level above the daily rollup: campaigns are whole local months, and uniform
-- data barely compresses by day (a million reports make about half a million day-cells at
-- 1 km), but by month it does.
create table heat_cells_month (
    layer text not null constraint heat_cells_month_layer_known check (layer in ('sightings', 'referrals')),
    resolution smallint not null constraint heat_cells_month_resolution_range check (resolution between 5 and 9),
    month date not null constraint heat_cells_month_first_day check (extract(day from month) = 1),
    cell bigint not null,
    reports integer not null,
    people integer not null,
    special integer not null,
    primary key (layer, resolution, month, cell)
);

insert into heat_cells_month (layer, resolution, month, cell, reports, people, special)
select layer, resolution, date_trunc('month', day)::date, cell, sum(reports), sum(people), sum(special)
from heat_cells group by 1, 2, 3, 4;
