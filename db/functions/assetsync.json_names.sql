-- A JSON array of names as text[] (an empty array for NULL): how a copy's state holds overridden_fields.

create or replace function assetsync.json_names(p_names jsonb)
returns text[]
language plpgsql
immutable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
begin
    return array(select pg_catalog.jsonb_array_elements_text(coalesce(p_names, '[]'::jsonb)));
end;
$fn$;

comment on function assetsync.json_names(jsonb) is 'The JSON array of names p_names as text[]; {} for NULL.';
