-- Incidents (冻饿死伤, 走失): what must reach the civil-affairs bureau at once, and whether a
-- supervisor has seen it. The description is personal data.
create table incidents (
    id uuid primary key,
    kind text not null constraint incidents_kind_known check (kind in (
        'death', 'serious_injury', 'missing_from_care', 'violence', 'other')),
    occurred_at timestamptz not null,
    location geography(Point, 4326) not null,
    accuracy_m double precision,
    -- The county the place lies in (null outside every county: the station's county counts).
    area_code text constraint incidents_area_fk references areas (code),
    station_code text not null constraint incidents_station_fk references stations (code),
    referral_id uuid constraint incidents_referral_fk references referrals (id),
    description text,
    reported_by uuid not null constraint incidents_reporter_fk references users (id),
    reported_at timestamptz not null,
    acknowledged_by uuid constraint incidents_acknowledger_fk references users (id),
    acknowledged_at timestamptz,
    acknowledge_note text,
    -- Set when the unacknowledged incident was pushed a second time.
    repushed_at timestamptz,
    -- When the description and note were erased (retention).
    redacted_at timestamptz,
    request_hash bytea not null,
    constraint incidents_acknowledged_by_someone check ((acknowledged_at is null) = (acknowledged_by is null))
);
create index incidents_occurred_idx on incidents (occurred_at);
create index incidents_unacknowledged_idx on incidents (reported_at)
    where acknowledged_at is null and repushed_at is null;

alter table access_log drop constraint access_log_kind_known;
alter table access_log add constraint access_log_kind_known
    check (record_kind in ('referral', 'sighting', 'incident'));

-- A referral may end because the person died.
alter table referrals drop constraint referrals_outcome_known;
alter table referrals add constraint referrals_outcome_known check (outcome in (
    'admitted_to_station', 'escorted_home', 'medical_transfer', 'handed_to_police',
    'declined_help', 'not_found', 'died', 'other'));

-- New sleeping places found on the street, proposed by patrols and decided by supervisors. An
-- approved proposal becomes the hotspot with the same id.
create table hotspot_proposals (
    id uuid primary key,
    name text not null,
    kind text not null constraint hotspot_proposals_kind_known check (kind in (
        'bridge_culvert', 'underpass', 'heat_pipeline', 'abandoned_building',
        'railway_station', 'bus_station', 'park', 'other')),
    location geography(Point, 4326) not null,
    county_code text constraint hotspot_proposals_area_fk references areas (code),
    note text not null default '',
    proposed_by uuid not null constraint hotspot_proposals_proposer_fk references users (id),
    proposed_at timestamptz not null,
    status text not null default 'pending'
        constraint hotspot_proposals_status_known check (status in ('pending', 'approved', 'rejected')),
    decided_by uuid constraint hotspot_proposals_decider_fk references users (id),
    decided_at timestamptz,
    reason text,
    request_hash bytea not null,
    constraint hotspot_proposals_decided check ((status = 'pending') = (decided_at is null))
);
create index hotspot_proposals_pending_idx on hotspot_proposals (proposed_at) where status = 'pending';

-- A check-in at a pending proposal waits for its hotspot; approval fills `hotspot_id`.
alter table hotspot_checkins alter column hotspot_id drop not null;
alter table hotspot_checkins
    add column proposal_id uuid constraint hotspot_checkins_proposal_fk references hotspot_proposals (id),
    add constraint hotspot_checkins_at_a_place check (hotspot_id is not null or proposal_id is not null);
create index hotspot_checkins_proposal_idx on hotspot_checkins (proposal_id) where proposal_id is not null;
