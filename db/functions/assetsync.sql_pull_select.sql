-- Generates the SELECT of a sync against the library table: assetsync.sql_pull_select_from() with
-- p_library = the library. Used by assetsync.sql_pull_update(), so every generated sync runs it.

create or replace function assetsync.sql_pull_select(
    p_fields assetsync.synced_field[], p_pair assetsync.attachment, p_where text
)
returns text
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
begin
    return assetsync.sql_pull_select_from(p_fields, p_pair, p_where, '{library}');
end;
$fn$;

comment on function assetsync.sql_pull_select(assetsync.synced_field[], assetsync.attachment, text) is
'Code generation helper: the SELECT computing a sync''s new values (new_<field>), field lists and '
'sync_conflicts for the project assets matching p_where, against the library table; used by '
'assetsync.sql_pull_update().';
