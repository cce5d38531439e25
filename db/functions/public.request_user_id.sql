-- The caller's identity, in the order PostgREST and Supabase pass it (replaces 002's first version).
--
-- Why a repeatable: 002 created the function (column defaults and policies of later migrations need it),
-- but read only request.jwt.claims. PostgREST before version 9 set request.jwt.claim.sub instead, so the
-- legacy setting is read when the claims carry no usable sub. CREATE OR REPLACE keeps the signature, the
-- grants and every policy and default that calls it.

create or replace function public.request_user_id()
returns uuid
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
declare
    v_setting text;
    v_claims jsonb;
    v_sub text;
begin
    -- Each BEGIN ... EXCEPTION block is a subtransaction, and this runs for every journal row and many
    -- policy checks: enter one only when the conversion can fail (claims set; a sub not in canonical form).
    v_setting := nullif(pg_catalog.current_setting('request.jwt.claims', true), '');
    if v_setting is not null then
        begin
            v_claims := v_setting::jsonb;
        exception
            -- Not JSON (class 22) or nested too deep (class 54): the claims count as absent.
            when data_exception or program_limit_exceeded then
                v_claims := null;
        end;
    end if;
    if pg_catalog.jsonb_typeof(v_claims) = 'object'
        and pg_catalog.jsonb_typeof(v_claims -> 'sub') = 'string'
        and v_claims ->> 'sub' <> '' then
        v_sub := v_claims ->> 'sub';
    else
        v_sub := nullif(pg_catalog.current_setting('request.jwt.claim.sub', true), '');
    end if;
    if v_sub is null then
        return null;
    end if;
    if v_sub ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' then
        return v_sub::uuid;  -- the canonical form always converts
    end if;
    -- A sub that is not a uuid is nobody, never an error: a policy must not break a query.
    begin
        return v_sub::uuid;
    exception
        when data_exception then
            return null;
    end;
end;
$fn$;

comment on function public.request_user_id() is
'The calling user, as a uuid: the "sub" of the setting request.jwt.claims when that is a JSON object with '
'a non-empty string sub (set by PostgREST and Supabase), else the legacy setting request.jwt.claim.sub. '
'NULL (nobody: owns nothing, sees nothing) when neither is set, and when the sub is not a uuid. Claims '
'that are not a JSON object count as absent. Like Supabase''s auth.uid().';
