-- Lean versions: a live edit or an acknowledgement stores its change against its parent version
-- (plan_kind 'delta': the replaced runs of shifts and vendor blocks) instead of the whole plan; a
-- whole plan ('snapshot') is stored when a roster is planned and after every few deltas, so a
-- version is rebuilt from at most that many. snapshot_distance counts the deltas since the last
-- snapshot.
ALTER TABLE roster_versions ADD COLUMN plan_kind TEXT NOT NULL DEFAULT 'snapshot'
    CHECK (plan_kind IN ('snapshot', 'delta'));
ALTER TABLE roster_versions ADD COLUMN snapshot_distance BIGINT NOT NULL DEFAULT 0;
