-- Generates the body of the versioning trigger of global_assets: a new version exactly when a synced
-- field changed, tested field by field with plain IS DISTINCT FROM.

create or replace function assetsync.source_tg_global_assets__version(p_fields text[], p_modes text[])
returns text
language plpgsql
immutable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
declare
    v_changed text;
begin
    select
        pg_catalog.string_agg(
            assetsync.sql_is_distinct(pg_catalog.format('new.%I', u.field), pg_catalog.format('old.%I', u.field), u.mode),
            E'\n        or ' order by u.n
        )
    into v_changed
    from unnest(p_fields, p_modes) with ordinality as u (field, mode, n);

    return pg_catalog.format(
        $tpl$
begin
    if tg_when <> 'BEFORE' or tg_level <> 'ROW' or tg_op not in ('INSERT', 'UPDATE') then
        raise exception using
            errcode = '39P01',
            message = pg_catalog.format('%%s is attached wrongly to %%s', tg_name, tg_table_name),
            hint = 'It must be a BEFORE INSERT OR UPDATE ... FOR EACH ROW trigger on public.global_assets.';
    end if;
    if tg_op = 'INSERT' then
        if new.version is distinct from 1 then
            raise exception using
                errcode = '22023',
                message = pg_catalog.format('global asset %%s must start at version 1, not %%s', new.id, new.version),
                hint = 'Leave version out of the INSERT: the database maintains it.';
        end if;
        return new;
    end if;
    if new.version is distinct from old.version then
        raise exception using
            errcode = '22023',
            message = pg_catalog.format('column version of global asset %%s is maintained by the database', old.id),
            detail = pg_catalog.format('The UPDATE tried to change it from %%s to %%s.', old.version, new.version),
            hint = 'Leave version out of the UPDATE; use rollback_global_asset() to restore an old version.';
    end if;
    new.updated_at := pg_catalog.now();
    if %1$s then
        new.version := old.version + 1;
    end if;
    return new;
end;
$tpl$,
        coalesce(v_changed, 'false')
    );
end;
$fn$;

comment on function assetsync.source_tg_global_assets__version(text[], text[]) is
'Code generator for the trigger function assetsync.tg_global_assets__version(); called by asset_sync_refresh().';
