-- Keeps the journal append-only and written only by the database. Its rows come from the library's
-- functions (which run with SET assetsync.writer = 'library') and from the triggers of the copies (a
-- nested trigger); a DELETE only from the cascade of a copy's DELETE (a foreign-key action). It serves a
-- row trigger (UPDATE, DELETE) and a statement-level BEFORE INSERT trigger, called once per statement
-- and, through its WHEN clause, never for the rows triggers insert. Every
-- function runs with the caller's rights, so a caller able to create its own triggers could forge rows,
-- but only for copies it can already change (docs/journal.md).

create or replace function assetsync.tg_project_asset_changes__append_only()
returns trigger
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
begin
    if tg_when <> 'BEFORE' or (tg_level <> 'ROW' and tg_op <> 'INSERT') then
        raise exception using
            errcode = '39P01',
            message = pg_catalog.format('%s is attached wrongly to %s', tg_name, tg_table_name),
            hint = 'It must be a BEFORE UPDATE OR DELETE ... FOR EACH ROW, or a BEFORE INSERT, trigger on the journal.';
    end if;
    if tg_op = 'INSERT' then
        -- Also checked here, so that the function refuses the same INSERTs without its trigger's WHEN.
        if pg_catalog.pg_trigger_depth() >= 2
            or pg_catalog.current_setting('assetsync.writer', true) = 'library' then
            return new;  -- NULL for the statement-level trigger, where the return value is ignored
        end if;
        raise exception using
            errcode = '42501',
            message = case
                when tg_level = 'ROW' then pg_catalog.format(
                    'a change of project asset %s cannot be inserted: the journal is written only by the database',
                    new.project_asset_id
                )
                else 'a change cannot be inserted: the journal is written only by the database'
            end,
            hint = 'Change the project asset; the database journals it.';
    elsif tg_op = 'DELETE' and pg_catalog.pg_trigger_depth() >= 2 then
        return old;  -- the cascade of the copy's own DELETE
    end if;
    raise exception using
        errcode = '42501',
        message = pg_catalog.format('change %s cannot be changed: the journal is append-only', old.id),
        hint = 'Use undo_project_asset_change() to reverse a change; the undo is journaled too.';
end;
$fn$;

comment on function assetsync.tg_project_asset_changes__append_only() is
'Trigger function of project_asset_changes_100_append_only (UPDATE, DELETE) and '
'project_asset_changes_100_insert_only_by_library (INSERT, per statement): admits an INSERT only from the '
'library''s functions or triggers and a DELETE only from its copy''s cascade; anything else, UPDATE included, '
'is refused with 42501.';
