-- Generates the body of the tracking trigger of project_assets: per synced field, one plain
-- IS DISTINCT FROM test on OLD and NEW, so the per-row cost stays that of a hand-written trigger.

create or replace function assetsync.source_tg_project_assets__track(p_fields text[], p_modes text[])
returns text
language plpgsql
immutable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
declare
    v_track text;
    v_link_marks text;
begin
    select
        pg_catalog.string_agg(
            pg_catalog.format(
                E'        if %s and not (%L = any(new.overridden_fields)) then\n'
                '            new.overridden_fields := new.overridden_fields || %L::text;\n'
                '        end if;\n',
                assetsync.sql_is_distinct(pg_catalog.format('new.%I', u.field), pg_catalog.format('old.%I', u.field), u.mode),
                u.field,
                u.field
            ),
            '' order by u.n
        ),
        pg_catalog.string_agg(
            pg_catalog.format(
                E'        case when %s then %L end',
                assetsync.sql_is_distinct(pg_catalog.format('new.%I', u.field), pg_catalog.format('v_global.%I', u.field), u.mode),
                u.field
            ),
            E',\n' order by u.n
        )
    into v_track, v_link_marks
    from unnest(p_fields, p_modes) with ordinality as u (field, mode, n);

    v_track := coalesce(v_track, '');
    v_link_marks := coalesce(v_link_marks, '        null');

    return pg_catalog.format(
        $tpl$
declare
    v_global public.global_assets;
    v_linking boolean;
begin
    if tg_when <> 'BEFORE' or tg_level <> 'ROW' or tg_op not in ('INSERT', 'UPDATE') then
        raise exception using
            errcode = '39P01',
            message = pg_catalog.format('%%s is attached wrongly to %%s', tg_name, tg_table_name),
            hint = 'It must be a BEFORE INSERT OR UPDATE ... FOR EACH ROW trigger on public.project_assets.';
    end if;

    if tg_op = 'UPDATE' then
        new.updated_at := pg_catalog.now();
        -- overridden_fields only ever holds synced field names, as a set: whoever writes it.
        if new.overridden_fields is distinct from old.overridden_fields then
            new.overridden_fields := assetsync.checked_overridden_fields(new.overridden_fields, new.id);
        end if;
        -- The library's own writes (functions declared with SET assetsync.writer = 'library') never mark.
        if pg_catalog.current_setting('assetsync.writer', true) = 'library' then
            return new;
        end if;
        if new.global_version is distinct from old.global_version
            or new.last_synced_at is distinct from old.last_synced_at
            or new.sync_conflicts is distinct from old.sync_conflicts then
            raise exception using
                errcode = '22023',
                message = pg_catalog.format(
                    'column %%s of project asset %%s is written only by the asset library',
                    case
                        when new.global_version is distinct from old.global_version then 'global_version'
                        when new.last_synced_at is distinct from old.last_synced_at then 'last_synced_at'
                        else 'sync_conflicts'
                    end,
                    old.id
                ),
                detail = 'global_version, last_synced_at and sync_conflicts are bookkeeping of the sync functions.',
                hint = 'Use sync_project_asset(), resolve_sync_conflict() or revert_project_asset_fields().';
        end if;
        v_linking := new.global_asset_id is distinct from old.global_asset_id and new.global_asset_id is not null;
        if not v_linking then
            -- Not linking (detaching included: a detached copy keeps every value, its overrides, its
            -- global_version and its conflict entries, as a record of where it stood): plain tracking.
%1$s            return new;
        end if;
    else
        if pg_catalog.current_setting('assetsync.writer', true) is distinct from 'library'
            and (new.global_version is not null or new.last_synced_at is not null or new.sync_conflicts <> '{}') then
            raise exception using
                errcode = '22023',
                message = pg_catalog.format(
                    'column %%s of project asset %%s is written only by the asset library',
                    case
                        when new.global_version is not null then 'global_version'
                        when new.last_synced_at is not null then 'last_synced_at'
                        else 'sync_conflicts'
                    end,
                    new.id
                ),
                detail = 'A new project asset gets them from linking: leave them out of the INSERT.',
                hint = 'Set global_asset_id to link the row, or use clone_global_asset().';
        end if;
        new.sync_conflicts := coalesce(new.sync_conflicts, '{}');
        if new.overridden_fields <> '{}' then
            new.overridden_fields := assetsync.checked_overridden_fields(new.overridden_fields, new.id);
        end if;
        if new.global_asset_id is null then
            return new;
        end if;
    end if;

    -- Linking (INSERT with global_asset_id, or an UPDATE that sets or changes it) wins over tracking:
    -- the overridden fields are exactly those that differ from the global.
    select g.* into v_global from public.global_assets as g where g.id = new.global_asset_id;
    if not found then
        raise exception using
            errcode = 'P0002',
            message = pg_catalog.format('global asset %%s does not exist or is not visible', new.global_asset_id),
            detail = pg_catalog.format('Project asset %%s cannot be linked to it.', new.id),
            hint = 'Link only global assets of your own library.';
    end if;
    new.global_version := v_global.version;
    new.last_synced_at := pg_catalog.now();
    new.sync_conflicts := '{}';
    new.overridden_fields := pg_catalog.array_remove(array[
%2$s
    ]::text[], null);
    return new;
end;
$tpl$,
        v_track,
        v_link_marks
    );
end;
$fn$;

comment on function assetsync.source_tg_project_assets__track(text[], text[]) is
'Code generator for the trigger function assetsync.tg_project_assets__track(); called by asset_sync_refresh().';
