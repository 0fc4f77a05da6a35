-- Maps with a box (and a tile's ragged ends) find raw rows by place with a planar box, a
-- geometry; the geography index cannot answer that, so the box used to be checked row by row
-- over the whole period. Points: a box test on the cast is exact.
create index sightings_geometry_gist on sightings using gist ((location::geometry));
create index referrals_geometry_gist on referrals using gist ((location::geometry));
