-- The station's own calls and walk-ins (首接责任制 starts with a call to the station): two new
-- channels. The duty officer's station answers for such a referral from its first event, even
-- when another station is nearer and holds it (then as a transfer waiting for acceptance).
alter table referrals drop constraint referrals_channel_known;
alter table referrals add constraint referrals_channel_known check (channel in (
    '110', '12345', 'patrol', 'volunteer', 'taxi', 'sanitation_security', 'charity', 'public',
    'station_phone', 'walk_in'));
