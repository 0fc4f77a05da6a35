-- Facts the accountability report reads from the event log, kept as columns rather than
-- parsed out of notes: where a transfer went, and how a referral ended.
alter table referral_events
    add column target_station text constraint referral_events_target_fk references stations (code),
    add column outcome text;
create index referral_events_kind_at_idx on referral_events (kind, at);
