-- Alerts where duty officers in mainland China read them: work-chat group robots (DingTalk,
-- WeCom) and SMS (Aliyun). Each channel belongs to a station, a county or the city; messages go
-- through their own outbox, written in the same transaction as the web-push rows, and every
-- attempt to deliver one is kept with the service's answer.
create table notify_channels (
    id uuid primary key,
    name text not null,
    kind text not null constraint notify_channels_kind_known check (kind in ('dingtalk', 'wecom', 'sms')),
    station_code text constraint notify_channels_station_fk references stations (code),
    county_code text constraint notify_channels_county_fk references areas (code),
    city boolean not null default false,
    -- DingTalk and WeCom: the robot's webhook (its token or key is a secret); DingTalk may also
    -- have a signing secret. SMS: the phones.
    webhook text,
    secret text,
    phones text[] not null default '{}',
    created_at timestamptz not null,
    removed_at timestamptz,
    constraint notify_channels_one_audience
        check ((station_code is not null)::int + (county_code is not null)::int + city::int = 1),
    constraint notify_channels_has_target
        check (case when kind = 'sms' then cardinality(phones) > 0 else webhook is not null end)
);
create unique index notify_channels_name_idx on notify_channels (name) where removed_at is null;

create table notify_outbox (
    id bigserial primary key,
    channel_id uuid not null constraint notify_outbox_channel_fk references notify_channels (id),
    referral_id uuid constraint notify_outbox_referral_fk references referrals (id),
    -- referral_routed, escalated, alert_unvisited, incident, incident_repushed, test
    event text not null,
    -- {"title","text","params"}: never a caller's phone, a description, a name or an address.
    message jsonb not null,
    urgent boolean not null default false,
    attempts integer not null default 0,
    next_attempt_at timestamptz not null,
    created_at timestamptz not null,
    delivered_at timestamptz,
    failed_at timestamptz,
    last_error text
);
create index notify_outbox_due_idx on notify_outbox (next_attempt_at)
    where delivered_at is null and failed_at is null;
create index notify_outbox_referral_idx on notify_outbox (referral_id) where referral_id is not null;

create table notify_attempts (
    id bigserial primary key,
    outbox_id bigint not null constraint notify_attempts_outbox_fk references notify_outbox (id),
    at timestamptz not null,
    ok boolean not null,
    -- The HTTP status and the service's own code: "200 errcode=0", "200 Code=OK", "503".
    code text not null,
    detail text
);
create index notify_attempts_outbox_idx on notify_attempts (outbox_id, at);
