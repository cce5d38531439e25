-- 018: one queue row per statement instead of one per version or conflicting copy (issue 17).
--
-- 017 queued a row for every version made and every copy whose sync wrote conflicts or merges: a bulk
-- UPDATE of 10,000 globals paid 10,000 small inserts (+21 %), a fan-out with 10,000 conflicts +10 %.
-- Now each statement queues at most one row per event, whose entries hold the statement's versions or
-- copies as a JSON array: the versions from statement-level triggers on the library (transition tables),
-- the conflicts from the sync's own statement. The queue is empty outside a transaction (its rows are
-- deleted at commit by its flush trigger), so its columns change here without moving any data.

alter table assetsync.notice_queue
drop column global_asset_id,
drop column version,
drop column project_asset_id,
drop column project_id,
drop column fields,
drop column merged_fields,
add column entries jsonb not null constraint notice_queue_entries_is_array check (
    pg_catalog.jsonb_typeof(entries) = 'array'
);

comment on table assetsync.notice_queue is
'Pending live notices of the current transaction, one row per statement and event (versions made, copies '
'whose syncs wrote conflicts or merges), written by statement-level triggers on the library and by the '
'syncs; turned into NOTIFY assetsync at commit by its deferred constraint trigger, which deletes them, so no '
'row outlives its transaction or is seen by another.';
comment on column assetsync.notice_queue.entries is
'The statement''s entries, a JSON array: global_version [[global keys], [versions]] (two arrays of the same '
'length); conflict [global key, copy key, project key, conflict field names, merged field names] per copy.';
comment on column assetsync.notice_queue.flush is
'True on the first row of a transaction only: it queues the deferred trigger that sends and deletes them all.';
