-- 002: the caller's identity, as PostgREST and Supabase pass it.
--
-- Why in a migration: column defaults and row-level security policies of the tables below need it,
-- and migrations may only reference objects that migrations created.

create function public.request_user_id()
returns uuid
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
declare
    v_claims text := pg_catalog.current_setting('request.jwt.claims', true);
begin
    if v_claims is null or v_claims = '' then
        return null;
    end if;
    -- A malformed setting means "nobody", never an error: a policy must not break a query.
    return (v_claims::jsonb ->> 'sub')::uuid;
exception
    -- Any bad input (class 22: not JSON, \u0000, a number out of range, sub not a uuid) or a document
    -- too deep to parse (class 54) is nobody.
    when data_exception or program_limit_exceeded then
        return null;
end;
$fn$;

comment on function public.request_user_id() is
'The calling user: the "sub" claim of the JSON in the setting request.jwt.claims (set by PostgREST and '
'Supabase), as a uuid. NULL when the setting is absent, empty, not JSON, or its sub is not a uuid, so a '
'caller with no identity owns nothing and sees nothing. Like Supabase''s auth.uid().';
