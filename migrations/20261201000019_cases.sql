-- One case, many reports: the same person reported by 110, by 12345 and by a patrol becomes one
-- case. A member referral names its primary (`case_id`); it leaves the queue and its deadlines
-- stop, and it ends when the primary ends.
alter table referrals add column case_id uuid constraint referrals_case_fk references referrals (id),
    add constraint referrals_case_not_self check (case_id is null or case_id <> id);
create index referrals_case_idx on referrals (case_id) where case_id is not null;
