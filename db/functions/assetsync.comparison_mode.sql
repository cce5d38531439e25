-- How the generated code compares values of a type with IS DISTINCT FROM. json has no equality
-- operator and is compared as jsonb (as the contract says); an array of json as to_jsonb(); any other
-- type without a default btree operator class (no "=", or one that is not identity, like box's), or an
-- array or composite holding one, as text. Arrays and composites need a
-- look inside: the parser accepts "=" on them and only the executor finds the element has none.

create or replace function assetsync.comparison_mode(p_type oid)
returns text
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
declare
    v_type pg_catalog.pg_type;
    v_inner text;
begin
    select t.* into v_type from pg_catalog.pg_type as t where t.oid = p_type;
    while v_type.typtype = 'd' loop
        select t.* into v_type from pg_catalog.pg_type as t where t.oid = v_type.typbasetype;
    end loop;
    if v_type.oid = 'json'::regtype then
        return 'jsonb';
    end if;
    if v_type.typcategory = 'A' and v_type.typelem <> 0 then
        v_inner := assetsync.comparison_mode(v_type.typelem);
        return case v_inner when '' then '' when 'jsonb' then 'to_jsonb' else 'text' end;
    end if;
    if v_type.typtype = 'c' then
        if exists (
            select
            from pg_catalog.pg_attribute as a
            where
                a.attrelid = v_type.typrelid and a.attnum > 0 and not a.attisdropped
                and assetsync.comparison_mode(a.atttypid) <> ''
        ) then
            return 'text';
        end if;
        return '';
    end if;
    -- Only a type with a default btree operator class (its own, or one it is binary-coercible to, as
    -- varchar to text) has an "=" that means "the same value". box has an "=" that compares areas and
    -- point has none: both compare by their text form, so every real change is tracked and versioned.
    if v_type.typtype not in ('e', 'r', 'm') and not exists (
        select
        from pg_catalog.pg_opclass as oc
        inner join pg_catalog.pg_am as am on oc.opcmethod = am.oid
        where
            am.amname = 'btree'
            and oc.opcdefault
            and (
                oc.opcintype = v_type.oid
                or exists (
                    select
                    from pg_catalog.pg_cast as c
                    where c.castsource = v_type.oid and c.casttarget = oc.opcintype and c.castmethod = 'b'
                )
            )
    ) then
        return 'text';
    end if;
    return '';
end;
$fn$;

comment on function assetsync.comparison_mode(oid) is
'How generated code compares a value of this type: '''' (IS DISTINCT FROM as is), ''jsonb'' (json, cast to '
'jsonb), ''to_jsonb'' (arrays of json) or ''text'' (a type without a default btree operator class, such as '
'box or point, or an array or composite holding one, compared as text).';
