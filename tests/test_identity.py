"""Identity (CONTRACT.md, Part 2, Identity): the order in which request_user_id() reads its settings.

The `sub` of `request.jwt.claims` when that setting is a JSON object with a non-empty string `sub`; else the
legacy setting `request.jwt.claim.sub` (PostgREST before version 9); a sub that is not a uuid is NULL (nobody).
Claims that are unparsable or not a JSON object count as absent. Each case sets the two settings for one
transaction, as PostgREST does (set_config(..., true)).
"""

from __future__ import annotations

import json

import pytest

from support import Conn, scalar

pytestmark = pytest.mark.shared_database

CLAIMS_USER = "11111111-1111-4111-8111-111111111111"
LEGACY_USER = "22222222-2222-4222-8222-222222222222"


def claims(**fields: object) -> str:
    return json.dumps(fields)


# (claims setting or None for unset, legacy setting or None for unset, expected request_user_id())
CASES = {
    "claims sub": (claims(sub=CLAIMS_USER, role="authenticated"), None, CLAIMS_USER),
    "claims sub wins over legacy": (claims(sub=CLAIMS_USER), LEGACY_USER, CLAIMS_USER),
    "claims sub in upper case": (claims(sub=CLAIMS_USER.upper()), None, CLAIMS_USER),
    "claims without sub: legacy": (claims(role="authenticated"), LEGACY_USER, LEGACY_USER),
    "claims with empty sub: legacy": (claims(sub=""), LEGACY_USER, LEGACY_USER),
    "claims with a numeric sub: legacy": (claims(sub=42), LEGACY_USER, LEGACY_USER),
    "claims with a null sub: legacy": (claims(sub=None), LEGACY_USER, LEGACY_USER),
    "claims with an object sub: legacy": (json.dumps({"sub": {"id": CLAIMS_USER}}), LEGACY_USER, LEGACY_USER),
    "claims a JSON array: legacy": (json.dumps([{"sub": CLAIMS_USER}]), LEGACY_USER, LEGACY_USER),
    "claims a JSON string: legacy": (json.dumps(CLAIMS_USER), LEGACY_USER, LEGACY_USER),
    "claims a JSON number: legacy": ("42", LEGACY_USER, LEGACY_USER),
    "claims unparsable: legacy": ('{"sub": "' + CLAIMS_USER, LEGACY_USER, LEGACY_USER),
    "claims empty: legacy": ("", LEGACY_USER, LEGACY_USER),
    "no claims: legacy": (None, LEGACY_USER, LEGACY_USER),
    "claims sub not a uuid: nobody, no fallback": (claims(sub="not-a-uuid"), LEGACY_USER, None),
    "legacy sub not a uuid: nobody": (None, "auth0|12345", None),
    "legacy sub empty: nobody": (claims(role="anon"), "", None),
    "neither: nobody": (None, None, None),
    "claims unparsable, no legacy: nobody": ("{", None, None),
    "claims with a NUL escape (unparsable as jsonb): legacy": ('{"sub": "\\u0000"}', LEGACY_USER, LEGACY_USER),
}


@pytest.mark.parametrize(("raw_claims", "legacy", "expected"), list(CASES.values()), ids=list(CASES))
def test_request_user_id_reads_claims_then_the_legacy_setting(
    conn: Conn, raw_claims: str | None, legacy: str | None, expected: str | None
) -> None:
    with conn.transaction():
        for setting, value in (("request.jwt.claims", raw_claims), ("request.jwt.claim.sub", legacy)):
            if value is not None:
                conn.execute("select set_config(%s, %s, true)", (setting, value))
        got = scalar(conn, "select request_user_id()::text")
    assert got == expected
