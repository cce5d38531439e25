-- 012: a JSON null in a json or jsonb synced field is a value, distinct from SQL NULL (issue 11).
--
-- A snapshot is keyed by field name with each value as jsonb, so a json field holding JSON null and one
-- that is SQL NULL both looked like {"field": null}. From now on a snapshot leaves out a json or jsonb
-- field that is SQL NULL (a missing field counts as NULL in a sync's base), and null_fields names those
-- fields, so that a rollback can tell "was SQL NULL" from "did not exist yet" (which keeps the current
-- value). Adding a column with a constant default rewrites nothing. Older snapshots are kept as they
-- are: there, a JSON null in a json field reads as a JSON null.

alter table public.global_asset_versions
add column null_fields text[] not null default '{}';

comment on column public.global_asset_versions.null_fields is
'The json and jsonb synced fields that were SQL NULL at this version: they are left out of snapshot, where '
'a JSON null is a value. rollback_global_asset() restores them as SQL NULL.';
