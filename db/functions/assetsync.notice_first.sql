-- Whether the notice queued now is the first of the transaction: the first one (flush = true) queues the
-- deferred trigger that sends them all at commit, so a fan-out queues one trigger event, not one per row.
-- Remembered in the transaction-local setting "assetsync.notice_txid"; a rolled-back savepoint rolls the
-- setting back with the rows it inserted.

create or replace function assetsync.notice_first()
returns boolean
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
declare
    v_txid text := pg_catalog.txid_current()::text;
begin
    if pg_catalog.current_setting('assetsync.notice_txid', true) is not distinct from v_txid then
        return false;
    end if;
    perform pg_catalog.set_config('assetsync.notice_txid', v_txid, true);
    return true;
end;
$fn$;

comment on function assetsync.notice_first() is
'True for the first queued notice of the transaction (then false): the row that queues the deferred flush.';
