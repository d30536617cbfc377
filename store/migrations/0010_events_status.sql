-- The target.status events not yet compacted (store/compact.go): the last
-- hour's and each target's latest. The prune reads them through this index
-- instead of scanning the whole log.
CREATE INDEX events_target_status ON events (seq) WHERE type = 'target.status';
