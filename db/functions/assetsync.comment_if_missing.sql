-- Comments a column assetsync relies on, unless the app already wrote a comment there: an attach adds
-- what is missing and never replaces an app's words.

create or replace function assetsync.comment_if_missing(p_table regclass, p_column name, p_comment text)
returns void
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
begin
    if pg_catalog.col_description(
        p_table, (select a.attnum from pg_catalog.pg_attribute as a where a.attrelid = p_table and a.attname = p_column)
    ) is null then
        execute pg_catalog.format('comment on column %s.%I is %L', p_table, p_column, p_comment);
    end if;
end;
$fn$;

comment on function assetsync.comment_if_missing(regclass, name, text) is
'Sets the comment of column p_column of p_table to p_comment when it has none; keeps an existing comment. '
'Used by asset_sync_attach().';
