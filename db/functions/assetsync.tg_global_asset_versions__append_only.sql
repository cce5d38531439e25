-- Keeps global_asset_versions an append-only history written only by the database, without SECURITY
-- DEFINER: the versioning trigger inserts with the caller's rights, so the caller holds INSERT on the
-- table; this trigger is what stops a direct INSERT. A legitimate row is inserted from inside a trigger
-- (depth 2) and is for the asset's current version, whose row the same statement then owns by primary
-- key; anything else is refused with 42501, as are UPDATE and DELETE except the cascade of the asset's
-- own DELETE.

create or replace function assetsync.tg_global_asset_versions__append_only()
returns trigger
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
begin
    if tg_when <> 'BEFORE' or tg_level <> 'ROW' then
        raise exception using
            errcode = '39P01',
            message = pg_catalog.format('%s is attached wrongly to %s', tg_name, tg_table_name),
            hint = 'It must be a BEFORE INSERT OR UPDATE OR DELETE ... FOR EACH ROW trigger on global_asset_versions.';
    end if;
    if tg_op = 'INSERT' then
        if pg_catalog.pg_trigger_depth() >= 2
            and exists (
                select from public.global_assets as g
                where g.id = new.global_asset_id and g.version = new.version
            ) then
            return new;
        end if;
        raise exception using
            errcode = '42501',
            message = pg_catalog.format(
                'version %s of global asset %s cannot be inserted: history is written only by the database',
                new.version, new.global_asset_id
            ),
            hint = 'Update the global asset; its versioning trigger records the new version.';
    elsif tg_op = 'DELETE'
        and pg_catalog.pg_trigger_depth() >= 2
        and not exists (select from public.global_assets as g where g.id = old.global_asset_id) then
        -- The ON DELETE CASCADE of the global asset's own DELETE (which runs as the table owner, so the
        -- asset's absence is not an effect of row-level security).
        return old;
    end if;
    raise exception using
        errcode = '42501',
        message = pg_catalog.format(
            'version %s of global asset %s cannot be changed: the history is append-only', old.version, old.global_asset_id
        ),
        hint = 'Use rollback_global_asset() to restore an old version as a new one.';
end;
$fn$;

comment on function assetsync.tg_global_asset_versions__append_only() is
'Trigger function of global_asset_versions_100_append_only: allows an INSERT only from the versioning '
'trigger, for the asset''s current version, and a DELETE only by the cascade of the asset''s DELETE; '
'anything else, UPDATE included, is refused with 42501, even for the asset''s owner.';
