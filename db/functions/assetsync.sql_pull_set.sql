-- Builds the SET list "field = s.fN," of the generated sync UPDATEs (see assetsync.sql_pull_select).

create or replace function assetsync.sql_pull_set(p_fields assetsync.synced_field[])
returns text
language plpgsql
immutable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
begin
    return coalesce(
        (
            select pg_catalog.string_agg(pg_catalog.format('            %I = s.f%s,', u.name, u.n), E'\n' order by u.n)
            from unnest(p_fields) with ordinality as u (name, comparison, sql_type, base_type, n)
        ),
        ''
    );
end;
$fn$;

comment on function assetsync.sql_pull_set(assetsync.synced_field[]) is
'Code generation helper: the SET list of the generated sync UPDATEs, each synced field from its computed column.';
