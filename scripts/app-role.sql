-- The role `xunjiu serve` runs as in production: it reads and writes rows, and may not change
-- the schema (`xunjiu migrate` runs as the owner). psql: -v app=ROLE, run in Xunjiu's database
-- as its owner. Safe to repeat.
select format('create role %I login', :'app')
where not exists (select 1 from pg_roles where rolname = :'app') \gexec
select format('grant connect, temporary on database %I to %I', current_database(), :'app') \gexec
grant usage on schema public to :"app";
grant select, insert, update, delete on all tables in schema public to :"app";
grant usage, select on all sequences in schema public to :"app";
-- Tables and sequences the owner creates later (new migrations) come with the same rights.
alter default privileges in schema public grant select, insert, update, delete on tables to :"app";
alter default privileges in schema public grant usage, select on sequences to :"app";
