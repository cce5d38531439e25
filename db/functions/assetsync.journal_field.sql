-- One field of a journal row's before or after: {"value", "overridden", "conflict"}, "value" absent when
-- the field is SQL NULL (so that a JSON null stays distinct), "conflict" the sync_conflicts entry or null.

create or replace function assetsync.journal_field(p_state jsonb, p_name text)
returns jsonb
language plpgsql
immutable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
begin
    return pg_catalog.jsonb_build_object(
        'overridden', p_name = any(assetsync.json_names(p_state -> 'overridden')),
        'conflict', p_state -> 'conflicts' -> p_name
    )
    || case
        when p_state -> 'values' ? p_name then pg_catalog.jsonb_build_object('value', p_state -> 'values' -> p_name)
        else '{}'::jsonb
    end;
end;
$fn$;

comment on function assetsync.journal_field(jsonb, text) is
'{"value", "overridden", "conflict"} of field p_name in a copy''s state (assetsync.copy_state()); "value" absent '
'for SQL NULL.';
