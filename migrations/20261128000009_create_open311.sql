-- Open311 GeoReport v2: partners (12345 platforms, volunteer groups, taxi companies …) post
-- service requests with an API key; each request becomes a referral on the partner's channel.
create table partners (
    id uuid primary key default gen_random_uuid(),
    name text not null constraint partners_name_key unique,
    channel text not null constraint partners_channel_known check (channel in (
        '110', '12345', 'patrol', 'volunteer', 'taxi', 'sanitation_security', 'charity', 'public')),
    -- SHA-256 of the key; the key itself is printed once by `xunjiu partners add`.
    key_hash bytea not null constraint partners_key_hash_key unique,
    created_at timestamptz not null default now(),
    revoked_at timestamptz
);

-- A referral is created either by an account or by a partner.
alter table referrals alter column created_by drop not null;
alter table referrals
    add column partner_id uuid constraint referrals_partner_fk references partners (id),
    add column open311_service_code text,
    add constraint referrals_has_creator check ((created_by is null) <> (partner_id is null));
create index referrals_open311_idx on referrals (reported_at) where open311_service_code is not null;
