-- How the generated code compares values of a type with IS DISTINCT FROM: json has no equality
-- operator and is compared as jsonb (as the contract says); any other type without one as text.

create or replace function assetsync.comparison_mode(p_type oid)
returns text
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
begin
    if pg_catalog.format_type(p_type, null) = 'json'
        or exists (
            select from pg_catalog.pg_type as t
            where t.oid = p_type and t.typtype = 'd' and t.typbasetype = 'json'::regtype
        ) then
        return 'jsonb';
    end if;
    -- Ask the parser whether the type has an equality operator: the only reliable answer for arrays,
    -- domains and types from extensions. The type name comes from format_type, quoted as needed.
    begin
        execute pg_catalog.format(
            'select null::%1$s is distinct from null::%1$s', pg_catalog.format_type(p_type, null)
        );
    exception
        when undefined_function then
            return 'text';
    end;
    return '';
end;
$fn$;

comment on function assetsync.comparison_mode(oid) is
'How generated code compares a value of this type: '''' (IS DISTINCT FROM as is), ''jsonb'' (json, cast to '
'jsonb) or ''text'' (a type without equality operator, compared as text).';
