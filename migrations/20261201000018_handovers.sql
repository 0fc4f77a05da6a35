-- A hand-over (交接): a patrol that escorts someone to a station raises a referral of kind
-- `handover` there; the duty officer's acceptance is the signature for the person.
alter table referrals add column kind text not null default 'report'
    constraint referrals_kind_known check (kind in ('report', 'handover'));
