-- 009: one home per generated function (issue 12).
--
-- asset_sync_refresh() used to hold the header of every generated function while its body came from an
-- assetsync.source_* generator and fragments from assetsync.sql_*; stub files named after the trigger
-- functions only raised until the first refresh. Now each generator (assetsync.generate_*) returns the
-- whole CREATE OR REPLACE FUNCTION and its COMMENT, and this table records what each one last installed,
-- so a refresh executes only what changed. The generators take the synced fields as one array of
-- assetsync.synced_field instead of parallel arrays.

create type assetsync.synced_field as (
    name text,
    comparison text,
    sql_type text,
    base_type text
);

comment on type assetsync.synced_field is
'A synced field as the generators see it: its name; how it is compared (comparison: '''' as is, ''jsonb'' '
'for json, ''to_jsonb'' for arrays of json, ''text'' for types without a default btree operator class); its '
'type as format_type() prints it (sql_type); and the type under its domains (base_type), which reads a '
'snapshot value without the domain''s constraints.';

create type assetsync.generated_function as (
    signature text,
    ddl text
);

comment on type assetsync.generated_function is
'What a generator (assetsync.generate_*) returns: the regprocedure text of the function it makes, and the '
'complete CREATE OR REPLACE FUNCTION ... ; COMMENT ON FUNCTION ... that asset_sync_refresh() executes.';

create table assetsync.generated_code (
    generator text primary key,
    signature text not null,
    ddl text not null,
    body text not null,
    generated_at timestamptz not null default now()
);

comment on table assetsync.generated_code is
'What each generator last installed, written by asset_sync_refresh(): a function is re-created only when '
'its generated DDL changed or its installed body no longer is the one recorded here (edited by hand or '
'dropped). Read it to see every generated function and where it came from. Row-level security is on '
'with a policy that admits no row: only the owner (the migrating role) reads or writes it.';
comment on column assetsync.generated_code.generator is 'The generator, e.g. assetsync.generate_pull_one.';
comment on column assetsync.generated_code.signature is 'The function it generates, as regprocedure text.';
comment on column assetsync.generated_code.ddl is 'The DDL it returned and asset_sync_refresh() executed.';
comment on column assetsync.generated_code.body is 'The body (pg_proc.prosrc) installed by that DDL.';
comment on column assetsync.generated_code.generated_at is 'When asset_sync_refresh() last executed the DDL.';

alter table assetsync.generated_code enable row level security;

-- A deliberate "nobody" policy: the owner bypasses row-level security, every other role reads no row.
create policy generated_code_owner_only on assetsync.generated_code
for all
using (false)
with check (false);

comment on policy generated_code_owner_only on assetsync.generated_code is
'No row for anyone but the table owner (the migrating role, which runs asset_sync_refresh()).';

-- The old generators and fragments: their results are now made by assetsync.generate_* (db/functions).
drop function if exists assetsync.source_synced_fields(text[], text[]);
drop function if exists assetsync.source_tg_project_assets__track(text[], text[]);
drop function if exists assetsync.source_tg_global_assets__version(text[], text[]);
drop function if exists assetsync.source_tg_global_assets__record_version(text[], text[]);
drop function if exists assetsync.source_pull(text[], text[]);
drop function if exists assetsync.source_pull_one(text[], text[]);
drop function if exists assetsync.source_pull_global(text[], text[]);
drop function if exists assetsync.source_diff(text[], text[]);
drop function if exists assetsync.source_revert_fields(text[], text[]);
drop function if exists assetsync.source_apply_snapshot(text[], text[]);
drop function if exists assetsync.source_clone(text[], text[]);
drop function if exists assetsync.sql_pull_select(text[], text[], text);
drop function if exists assetsync.sql_pull_set(text[]);
drop function if exists assetsync.sql_field_states(text[], text[]);
drop function if exists assetsync.installed_source(text);
drop function if exists assetsync.synced_field_catalog(boolean);

-- Their files are gone from db/functions: forget them, so that `assetsync status` does not report them
-- as missing. The trigger functions stay: asset_sync_refresh() now generates them.
delete from assetsync.migration_history
where
    kind = 'function'
    and (
        file like 'functions/assetsync.source\_%'
        or file in (
            'functions/assetsync.sql_pull_select.sql',
            'functions/assetsync.sql_pull_set.sql',
            'functions/assetsync.sql_field_states.sql',
            'functions/assetsync.installed_source.sql',
            'functions/assetsync.tg_project_assets__track.sql',
            'functions/assetsync.tg_global_assets__version.sql',
            'functions/assetsync.tg_global_assets__record_version.sql'
        )
    );
