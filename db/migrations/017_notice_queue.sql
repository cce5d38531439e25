-- 017: the transaction-local queue of live notices (issue 17, channel "assetsync").
--
-- The versioning trigger and the syncs add a row here for every version they make and every copy whose
-- sync wrote conflict entries or merged fields. The first row of a transaction (flush = true) queues the
-- DEFERRABLE INITIALLY DEFERRED constraint trigger of THIS table, which at commit aggregates the
-- transaction's rows into notices, calls pg_notify() and deletes them. The deferred trigger is on the
-- queue, never on the synced tables: a deferred trigger event pending on a table makes a later ALTER TABLE
-- of that table in the same transaction fail with 55006. Rows never outlive their transaction, so no
-- other session ever sees one (MVCC), and a rolled-back transaction leaves neither rows nor notices.

create table assetsync.notice_queue (
    id uuid primary key default gen_random_uuid(),
    txid bigint not null default txid_current(),
    event text not null check (event in ('global_version', 'conflict')),
    global_asset_id jsonb not null,
    version integer,
    project_asset_id jsonb,
    project_id jsonb,
    fields text[],
    merged_fields text[],
    flush boolean not null default false
);

-- Row-level security on, with a policy that admits the current transaction's rows: the API roles' triggers
-- and functions write, read and delete their own transaction's rows. MVCC already hides everyone else's
-- (uncommitted, and deleted before commit); the policy says so in the catalogue too.
alter table assetsync.notice_queue enable row level security;

create policy notice_queue_own_transaction on assetsync.notice_queue
for all using (txid = txid_current()) with check (txid = txid_current());

revoke all on table assetsync.notice_queue from public;

comment on table assetsync.notice_queue is
'Pending live notices of the current transaction (versions made, copies whose syncs wrote conflicts or '
'merges), written by the versioning trigger and the syncs; turned into NOTIFY assetsync at commit by its '
'deferred constraint trigger, which deletes them, so no row outlives its transaction or is seen by another.';
comment on column assetsync.notice_queue.id is 'Row identity (the queue is read as a set).';
comment on column assetsync.notice_queue.txid is
'The transaction that queued it (txid_current()); the policy admits only its own.';
comment on column assetsync.notice_queue.event is 'global_version or conflict.';
comment on column assetsync.notice_queue.global_asset_id is 'The global asset (its key as JSON).';
comment on column assetsync.notice_queue.version is 'global_version: the version made.';
comment on column assetsync.notice_queue.project_asset_id is 'conflict: the copy (its key as JSON).';
comment on column assetsync.notice_queue.project_id is 'conflict: the copy''s project (its key as JSON).';
comment on column assetsync.notice_queue.fields is 'conflict: the fields the sync wrote conflict entries for.';
comment on column assetsync.notice_queue.merged_fields is 'conflict: the fields the sync merged.';
comment on column assetsync.notice_queue.flush is
'True on the first row of a transaction only: it queues the deferred trigger that sends and deletes them all.';
comment on policy notice_queue_own_transaction on assetsync.notice_queue is
'The current transaction''s rows only (they are deleted before it commits).';

-- The trigger function is a repeatable (db/functions/assetsync.tg_notice_queue__flush.sql), applied after
-- the migrations: this placeholder lets the trigger be created here, and is replaced in the same run.
create or replace function assetsync.tg_notice_queue__flush()
returns trigger
language plpgsql
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
begin
    return null;
end;
$fn$;

create constraint trigger notice_queue_100_flush
after insert on assetsync.notice_queue
deferrable initially deferred
for each row
when (new.flush)
execute function assetsync.tg_notice_queue__flush();

comment on trigger notice_queue_100_flush on assetsync.notice_queue is
'At commit, once per transaction (queued by its first row only): sends the queued notices and deletes them.';
