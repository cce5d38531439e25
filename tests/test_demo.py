"""`assetsync demo` walks through the John Doe story end to end, and can be run again."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from pg import PgServer


def run_demo(pg_server: PgServer, cwd: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "assetsync", "demo", "--dsn", pg_server.admin_url],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "\033[" not in done.stdout, "colour codes must not reach a pipe"
    return done.stdout


def test_demo_tells_the_story_and_can_run_twice(pg_server: PgServer, tmp_path: Path) -> None:
    first = run_demo(pg_server, tmp_path)
    lines = first.splitlines()

    def line_with(*words: str) -> str:
        found = [line for line in lines if all(word in line for word in words)]
        assert found, f"no line with {words} in:\n{first}"
        return found[0]

    headings = [i for i, line in enumerate(lines) if re.match(r"\s?\d+\. ", line)]
    assert len(headings) >= 10, first
    for i in headings:  # each step says why (prose), then every statement it runs ("> ..."), then its results
        assert not lines[i + 1].strip().startswith(">"), f"no explanation under {lines[i]!r}"
        assert any(line.strip().startswith("> ") for line in lines[i + 1 : i + 10]), f"no SQL under {lines[i]!r}"
    assert line_with("navy suit", "new conflict"), "the navy-suit step says why it is there"

    assert "{description}" in line_with("Project A", "dirty, torn suit")
    assert "conflicts={description}" in line_with("Project A: synced", "v1 -> v3")
    assert "updated={description,image_key_url}" in line_with("Project B: synced", "v1 -> v3")
    assert "base='a tall man in a clean suit'" in line_with("A's conflict on description")
    assert "visited 2 copies" in first
    assert "made version 6" in first
    status = lines[lines.index(line_with("Where every copy stands")) : lines.index(line_with("Oops", "undone"))]
    assert [line.split()[-1] for line in status if line.strip().startswith("Project")] == ["conflict", "up_to_date"]
    undone = lines[lines.index(line_with("Oops", "undone")) :]
    assert line_with("undo_project_asset_change(", "wrote change")
    b_after = [line for line in undone if line.strip().startswith("Project B")]
    assert b_after and "navy suit" in b_after[-1], "B is back where it was before its last sync"
    # The word-level merge: the visual diff (markers, no colour on a pipe) and a clean merge.
    assert "[-clean-]{+dirty, torn+}" in line_with("base -> local")
    assert "[-tall-]{+short+}" in line_with("base -> global")
    assert "description: will_merge" in first
    assert "merged={description}" in line_with("Project A: synced", "v6 -> v7")
    merged = lines[lines.index(line_with("Project A: synced", "v6 -> v7")) :]
    assert any("a short man in a dirty, torn suit" in line for line in merged if line.strip().startswith("Project A"))
    assert "push_project_asset_fields made version 8" in first
    preview = lines[lines.index(line_with("Preview: what would Update from Global do")) :]
    assert any("Project B" in line and "description" in line and "update" in line for line in preview)
    assert "Connection string: postgresql://" in first
    assert first.count("psql") >= 3

    second = run_demo(pg_server, tmp_path)
    assert "made version 6" in second, "a second run starts the story over"
