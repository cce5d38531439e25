-- Puts the attached pair's tables and columns into a code template: the table and column names are
-- inputs of the generators, never constants in their templates. Placeholders: {library}, {copies},
-- {versions}, {projects} (tables, schema-qualified and quoted as regclass prints them), {library_key},
-- {copies_key}, {projects_key}, {link}, {project} (columns, quoted with %I), and {library_key_type},
-- {copies_key_type}, {projects_key_type} (the keys' types as format_type prints them). With p_format, the
-- result is a format() template: a "%" in a name is doubled, so rendering happens before the fields go in.

create or replace function assetsync.sql_render(
    p_template text, p_pair assetsync.attachment, p_format boolean default true
)
returns text
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $fn$
declare
    v_text text := p_template;
    v_name text;
    v_value text;
begin
    for v_name, v_value in
        select r.name, r.value
        from (
            values
            ('library', p_pair.library::text),
            ('copies', p_pair.copies::text),
            ('versions', p_pair.versions::text),
            ('projects', p_pair.projects::text),
            ('library_key', pg_catalog.format('%I', p_pair.library_key)),
            ('copies_key', pg_catalog.format('%I', p_pair.copies_key)),
            ('projects_key', pg_catalog.format('%I', p_pair.projects_key)),
            ('link', pg_catalog.format('%I', p_pair.link_column)),
            ('project', pg_catalog.format('%I', p_pair.project_column)),
            ('library_key_type', assetsync.column_type(p_pair.library, p_pair.library_key)),
            ('copies_key_type', assetsync.column_type(p_pair.copies, p_pair.copies_key)),
            ('projects_key_type', assetsync.column_type(p_pair.projects, p_pair.projects_key))
        ) as r (name, value)
    loop
        if p_format then
            v_value := pg_catalog.replace(v_value, '%', '%%');
        end if;
        v_text := pg_catalog.replace(v_text, '{' || v_name || '}', v_value);
    end loop;
    return v_text;
end;
$fn$;

comment on function assetsync.sql_render(text, assetsync.attachment, boolean) is
'Code generation helper: the template with the attached pair''s tables, columns and key types put in for '
'{library}, {copies}, {versions}, {projects}, {library_key}, {copies_key}, {projects_key}, {link}, '
'{project}, {library_key_type}, {copies_key_type} and {projects_key_type}; with p_format, "%" doubled for '
'format().';
