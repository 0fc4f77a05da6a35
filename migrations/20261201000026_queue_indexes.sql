-- A station's queue, in queue order (urgent first, then the soonest deadline, then arrival): the
-- referrals it holds, and apart from them those it answers for while another station holds
-- them. A page of the queue is then a short read of each index, however many are open
-- (50,000 open referrals: 0.5 ms against 60 ms sorting them all).
create index referrals_queue_held_idx on referrals (
    station_code,
    (case when priority = 'urgent' then 0 else 1 end),
    (coalesce(case when status = 'routed' then accept_by
                   when status in ('accepted', 'en_route') then on_scene_by end, 'infinity'::timestamptz)),
    received_at, id)
where status not in ('resolved', 'closed') and case_id is null;

create index referrals_queue_answered_idx on referrals (
    accountable_station,
    (case when priority = 'urgent' then 0 else 1 end),
    (coalesce(case when status = 'routed' then accept_by
                   when status in ('accepted', 'en_route') then on_scene_by end, 'infinity'::timestamptz)),
    received_at, id)
where status not in ('resolved', 'closed') and case_id is null and accountable_station <> station_code;
