-- 016: per-field merge settings (issue 16, word-level three-way text merge).
--
-- A field in `text` mode is merged word by word by every sync where Part 1 would record a conflict; the
-- default, `whole`, keeps Part 1's rule. The mode changes what the generated sync does, so it is an input
-- of the generators: each assetsync.synced_field now carries it (attribute merge), read by
-- assetsync.synced_field_catalog() from the table below. public.set_synced_field_merge() writes the table
-- and regenerates; asset_sync_refresh() forgets the rows of fields that are no longer synced.

create table assetsync.synced_field_settings (
    field text primary key,
    merge text not null check (merge in ('whole', 'text')),
    changed_at timestamptz not null default now()
);

alter table assetsync.synced_field_settings enable row level security;

-- An explicit "nobody" policy, as on assetsync.generated_code: only the owner (the migrating role, and the
-- roles with its privileges), who bypasses row-level security, reads or writes it.
create policy synced_field_settings_owner_only on assetsync.synced_field_settings
for all using (false) with check (false);

revoke all on table assetsync.synced_field_settings from public;

comment on table assetsync.synced_field_settings is
'The merge mode of synced fields, written by set_synced_field_merge(): a field without a row is in whole '
'mode. A row lives while its field is synced (asset_sync_refresh() deletes the others). Row-level security '
'is on with a policy that admits no row: only the owner reads or writes it.';
comment on column assetsync.synced_field_settings.field is 'The synced field (a column name).';
comment on column assetsync.synced_field_settings.merge is
'whole (a conflict whenever both sides changed the value) or text (a word-level three-way merge first).';
comment on column assetsync.synced_field_settings.changed_at is 'When set_synced_field_merge() last set it.';
comment on policy synced_field_settings_owner_only on assetsync.synced_field_settings is
'No row for anyone but the table owner (the migrating role), who bypasses row level security.';

alter type assetsync.synced_field add attribute merge text;

comment on type assetsync.synced_field is
'A synced field as the generators see it: its name; how it is compared (comparison: '''' as is, ''jsonb'' '
'for json, ''to_jsonb'' for arrays of json, ''text'' for types without a default btree operator class); its '
'type as format_type() prints it (sql_type); the type under its domains (base_type), which reads a '
'snapshot value without the domain''s constraints; and its merge mode (merge: whole or text, from '
'assetsync.synced_field_settings).';
