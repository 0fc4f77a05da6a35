-- The duty workflow: deadlines, transfers under first-contact responsibility, outcomes,
-- escalation levels, and web push to duty officers.

alter table referrals
    -- Deadline to reach the person, counted from when the referral arrived.
    add column on_scene_by timestamptz,
    -- While a transfer waits for the receiving station (`station_code`) to accept, the first
    -- station stays accountable; `pre_transfer_status` is where a refusal returns it to.
    add column pending_transfer boolean not null default false,
    add column pre_transfer_status text,
    add column outcome text constraint referrals_outcome_known check (outcome in (
        'admitted_to_station', 'escorted_home', 'medical_transfer', 'handed_to_police',
        'declined_help', 'not_found', 'other')),
    add column accepted_at timestamptz,
    add column on_scene_at timestamptz,
    add column resolved_at timestamptz,
    add column closed_at timestamptz,
    -- 0 none, 1 station and county supervisors told, 2 city supervisors told.
    add column accept_escalation smallint not null default 0,
    add column scene_escalation smallint not null default 0;

update referrals set on_scene_by = received_at
    + case when priority = 'urgent' then interval '30 minutes' else interval '60 minutes' end;
alter table referrals alter column on_scene_by set not null;

alter table referrals
    add constraint referrals_one_accountable_station
        check (pending_transfer = (station_code <> accountable_station)),
    add constraint referrals_resolved_has_outcome
        check (status not in ('resolved', 'closed') or outcome is not null),
    add constraint referrals_escalation_levels
        check (accept_escalation between 0 and 2 and scene_escalation between 0 and 2);

-- What the escalation worker scans: open referrals by deadline.
create index referrals_open_accept_idx on referrals (accept_by) where status = 'routed';
create index referrals_open_scene_idx on referrals (on_scene_by) where status in ('accepted', 'en_route');

-- The server's VAPID key pair (RFC 8292), generated once.
create table vapid_keys (
    id boolean primary key default true constraint vapid_keys_single_row check (id),
    private_key text not null,   -- base64url, raw 32-byte P-256 scalar
    public_key text not null,    -- base64url, 65-byte uncompressed point (what browsers need)
    created_at timestamptz not null default now()
);

create table push_subscriptions (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null constraint push_subscriptions_user_fk references users (id),
    endpoint text not null constraint push_subscriptions_endpoint_key unique,
    p256dh text not null,
    auth text not null,
    created_at timestamptz not null default now()
);
create index push_subscriptions_user_idx on push_subscriptions (user_id);

-- Notifications are written in the same transaction as what caused them, then delivered by a
-- worker: a crash between the two loses nothing, and the request never waits for a push service.
create table push_outbox (
    id bigserial primary key,
    subscription_id uuid not null constraint push_outbox_subscription_fk
        references push_subscriptions (id) on delete cascade,
    referral_id uuid constraint push_outbox_referral_fk references referrals (id),
    payload jsonb not null,
    attempts integer not null default 0,
    next_attempt_at timestamptz not null,
    delivered_at timestamptz,
    failed_at timestamptz,
    last_error text,
    created_at timestamptz not null
);
create index push_outbox_due_idx on push_outbox (next_attempt_at) where delivered_at is null and failed_at is null;
