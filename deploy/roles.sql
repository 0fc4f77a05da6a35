-- The two database roles, made once by a superuser on the primary. The owner migrates, seeds
-- and manages accounts (`xunjiu migrate`, `seed`, `users`, `notify`, `units`); every
-- `xunjiu serve` connects as the application role, which reads and writes rows and cannot change
-- the schema. Then, as the owner in Xunjiu's database:
--   psql -v app=xunjiu_app -f scripts/app-role.sql
-- grants the application role its rights on every table, including those later migrations make.
create role xunjiu_owner login password 'change-me-owner';
create database xunjiu owner xunjiu_owner;
\connect xunjiu
create extension if not exists postgis;
create role xunjiu_app login password 'change-me-app';
