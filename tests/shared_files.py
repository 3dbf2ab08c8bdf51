"""Where the read-only shared material lives (../shared from the repository root, or SANCTIONSBOT_SHARED)."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
ENV_VAR = "SANCTIONSBOT_SHARED"


class SharedFilesMissing(RuntimeError):
    """The shared data folder, or a file in it, is not where the setting says."""


def shared_dir() -> Path:
    """The shared folder: $SANCTIONSBOT_SHARED, else ../shared beside the repository."""
    configured = os.environ.get(ENV_VAR)
    path = Path(configured).expanduser() if configured else REPO_ROOT.parent / "shared"
    if not path.is_dir():
        raise SharedFilesMissing(
            f"shared data folder not found at {path}: set {ENV_VAR} to the folder holding "
            "data/un-consolidated/, data/discord/openapi.json, facts/ and seed/ (see README, 'Shared data')"
        )
    return path


def shared_file(*parts: str) -> Path:
    """One file under the shared folder, with a clear error if it is missing."""
    path = shared_dir().joinpath(*parts)
    if not path.is_file():
        raise SharedFilesMissing(f"shared file missing: {path} (set {ENV_VAR}; see README, 'Shared data')")
    return path


UN_LIST_DATES = ("2017-06-20", "2017-07-03", "2020-03-20", "2024-09-21", "2024-09-26")


def un_list(date: str) -> Path:
    """One of the five shared UN Consolidated List copies, by its generation date."""
    return shared_file("data", "un-consolidated", f"un-{date}.xml")


def openapi_path() -> Path:
    """Discord's OpenAPI description."""
    return shared_file("data", "discord", "openapi.json")
