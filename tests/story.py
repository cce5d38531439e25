"""The John Doe story the tests tell (README, Example): its values, and John cloned into a project.

The library's John Doe is a tall man in a clean suit with black hair; a project tears the suit; the library
gives him red hair and a grey (later blue) suit. Tests name these values rather than spelling them out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from support import Conn, clone, new_global, new_project

CLEAN = "a tall man in a clean suit"
TORN = "a dirty, torn suit"
GREY = "a tall man in a grey suit"
BLUE = "a tall man in a blue suit"
BLACK_HAIR = "https://img.example/john-doe.png"
RED_HAIR = "https://img.example/john-doe-red-hair.png"
LOCAL_IMAGE = "https://img.example/project-a.png"


@dataclass(frozen=True)
class JohnDoe:
    """John Doe in the library (global_asset) and his copy in a project."""

    project: UUID
    global_asset: UUID
    copy: UUID


def john_doe(conn: Conn, project_name: str = "Project A", **fields: Any) -> JohnDoe:
    """Global "John Doe" at version 1 (CLEAN, BLACK_HAIR, no style capsule unless `fields` say otherwise),
    cloned into a new project: nothing overridden yet."""
    project = new_project(conn, project_name)
    global_id = new_global(conn, "John Doe", **{"description": CLEAN, "image_key_url": BLACK_HAIR, **fields})
    return JohnDoe(project, global_id, clone(conn, global_id, project))
