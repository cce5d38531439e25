-- 013: a JSON null in a json or jsonb synced field is a value, distinct from SQL NULL (issue 11).
--
-- A snapshot is keyed by field name with each value as jsonb, so a json field holding JSON null and one
-- that is SQL NULL both looked like {"field": null}. From now on a snapshot leaves out a json or jsonb
-- field that is SQL NULL (a missing field counts as NULL in a sync's base), and null_fields names those
-- fields, so that a rollback can tell "was SQL NULL" from "did not exist yet" (which keeps the current
-- value). Adding a column with a constant default rewrites nothing. Older snapshots are kept as they
-- are: there, a JSON null in a json field reads as a JSON null.
--
-- Written against assetsync.attachment, as every migration from 012 on: the history table is wherever
-- the attached pair keeps it (none yet under `migrate --attach`: asset_sync_attach() makes it whole).

do $add_null_fields$
declare
    v_versions regclass := (select a.versions from assetsync.attachment as a);
begin
    if v_versions is null then
        return;
    end if;
    execute pg_catalog.format(
        'alter table %s add column if not exists null_fields text[] not null default ''{}''', v_versions
    );
    execute pg_catalog.format(
        'comment on column %s.null_fields is %L',
        v_versions,
        'The json and jsonb synced fields that were SQL NULL at this version: they are left out of snapshot, '
        || 'where a JSON null is a value. rollback_global_asset() restores them as SQL NULL.'
    );
end
$add_null_fields$;
