-- Keeps global_asset_versions an append-only history written only by the database, without SECURITY
-- DEFINER: the versioning trigger inserts with the caller's rights, so the caller holds INSERT on the
-- table; this trigger is what stops a direct INSERT. A legitimate row is inserted from inside a trigger
-- (depth 2) and is for the asset's current version, whose row the same statement then owns by primary
-- key; anything else is refused with 42501, as are UPDATE and DELETE except the cascade of the asset's
-- own DELETE.
-- Generated for the attached pair (its tables, columns and key types are inputs) by asset_sync_refresh().

create or replace function assetsync.generate_tg_global_asset_versions__append_only(p_for assetsync.generator_input)
returns assetsync.generated_function
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $gen$
begin
    return assetsync.generated_function_ddl(
        'assetsync.generate_tg_global_asset_versions__append_only',
        p_for.fields,
        'assetsync.tg_global_asset_versions__append_only',
        assetsync.sql_render('', p_for.pair, false),
        assetsync.sql_render('', p_for.pair, false),
        assetsync.sql_render('trigger', p_for.pair, false),
        array['volatile'],
        assetsync.sql_render(
            $tpl$begin
    if tg_when <> 'BEFORE' or tg_level <> 'ROW' then
        raise exception using
            errcode = '39P01',
            message = pg_catalog.format('%s is attached wrongly to %s', tg_name, tg_table_name),
            hint = 'It must be a BEFORE INSERT OR UPDATE OR DELETE ... FOR EACH ROW trigger on global_asset_versions.';
    end if;
    if tg_op = 'INSERT' then
        if pg_catalog.pg_trigger_depth() >= 2
            and exists (
                select from {library} as g
                where g.{library_key} = new.global_asset_id and g.version = new.version
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
        and not exists (select from {library} as g where g.{library_key} = old.global_asset_id) then
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
$tpl$,
            p_for.pair,
            false
        ),
        'Trigger function of global_asset_versions_100_append_only: allows an INSERT only from the versioning '
        'trigger, for the asset''s current version, and a DELETE only by the cascade of the asset''s DELETE; '
        'anything else, UPDATE included, is refused with 42501, even for the asset''s owner.'
    );
end;
$gen$;

comment on function assetsync.generate_tg_global_asset_versions__append_only(assetsync.generator_input) is
'Generator of assetsync.tg_global_asset_versions__append_only(); called by asset_sync_refresh().';
