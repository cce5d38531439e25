-- Sets how a synced field merges (contract Part 3): whole (Part 1's rule, the default) or text (a
-- word-level three-way merge first; text-typed fields only). It changes the sync of every tenant, so only
-- a role with the privileges of the owner of the attached copies table may call it, checked before the
-- arguments. The generated sync depends on it: the setting is stored, then asset_sync_refresh()
-- regenerates.

create or replace function public.set_synced_field_merge(p_field text, p_mode text)
returns void
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
declare
    v_owner oid;
    v_field record;
begin
    -- The attachment is visible to the owner only (row-level security): another role finds no row, or may
    -- not even read the table; either way it is not the owner.
    begin
        select c.relowner into v_owner
        from assetsync.attachment as a
        inner join pg_catalog.pg_class as c on a.copies = c.oid;
    exception when insufficient_privilege then
        v_owner := null;
    end;
    if v_owner is null or not pg_catalog.pg_has_role(current_user, v_owner, 'USAGE') then
        raise exception using
            errcode = '42501',
            message = 'permission denied to set the merge mode of a synced field',
            detail = 'The mode changes the sync of every tenant.',
            hint = 'Call it as the owner of the copies table (the role that runs assetsync migrate).';
    end if;
    if p_field is null or p_mode is null then
        raise exception using
            errcode = '22004',
            message = 'set_synced_field_merge(): the field and the mode must not be NULL',
            detail = pg_catalog.format('p_field is %s, p_mode is %s.', coalesce(p_field, 'NULL'), coalesce(p_mode, 'NULL')),
            hint = 'Name a synced field and a mode, whole or text.';
    end if;
    if p_mode not in ('whole', 'text') then
        raise exception using
            errcode = '22023',
            message = pg_catalog.format('unknown merge mode %L', p_mode),
            detail = 'The modes are whole (a conflict whenever both sides changed) and text (a word-level merge).',
            hint = 'Use whole or text.';
    end if;
    select f.name, f.sql_type, f.base_type into v_field
    from assetsync.synced_field_catalog((select a from assetsync.attachment as a), false) as f
    where f.name = p_field;
    if not found then
        raise exception using
            errcode = '22023',
            message = pg_catalog.format('%L is not a synced field', p_field),
            detail = 'Only the columns both attached tables share are synced fields.',
            hint = 'See the view synced_field_settings for the synced fields.';
    end if;
    if p_mode = 'text' and pg_catalog.regexp_replace(v_field.base_type, '\(.*\)$', '') not in ('text', 'character varying')
    then
        raise exception using
            errcode = '22023',
            message = pg_catalog.format('field %I cannot merge as text: its type is %s', p_field, v_field.sql_type),
            detail = 'Only text-typed fields (text, varchar and domains over them) merge word by word.',
            hint = 'Use whole for this field.';
    end if;
    insert into assetsync.synced_field_settings as s (field, merge)
    values (p_field, p_mode)
    on conflict (field) do update set merge = excluded.merge, changed_at = pg_catalog.now();
    perform public.asset_sync_refresh();
end;
$fn$;

comment on function public.set_synced_field_merge(text, text) is
'Sets the merge mode of a synced field: whole (the default: a conflict whenever the project and the library '
'both changed it) or text (the sync first merges base, local and global word by word; text, varchar and '
'domains over them only), then regenerates the sync (asset_sync_refresh()). The setting lasts while the field '
'is synced; see the view synced_field_settings. Only a role with the privileges of the owner of the copies '
'table may call it (42501, checked first). Errors: 22004 NULL, 22023 unknown field or mode, or text mode for '
'another type.';

revoke execute on function public.set_synced_field_merge(text, text) from public;
