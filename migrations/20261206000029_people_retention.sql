-- People's personal fields are redacted like reports' (PIPL art. 19, 47): a person whose
-- entries all ended and who has had no report, revisit or step for XUNJIU_RETENTION_DAYS, or
-- one erased on request. Counts and dates stay, so Annex 1 does not change.
alter table people add column redacted_at timestamptz;
create index people_unredacted_idx on people (updated_at) where redacted_at is null;
create index notify_outbox_created_idx on notify_outbox (created_at) where message <> '{}'::jsonb;
