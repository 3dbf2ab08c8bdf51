"""Where the read-only shared material lives, and fetching it from its public sources when it is not here.

The folder is $SANCTIONSBOT_SHARED, else ../shared beside the repository, else the copy that
`python3 dev.py test` (through `python -m tests.shared_files`) downloaded into the user's cache folder from the
sources in tests/shared_data.toml, each checked against its SHA-256.
"""

from __future__ import annotations

import os
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
ENV_VAR = "SANCTIONSBOT_SHARED"
URL_VAR = "SANCTIONSBOT_DATA_URL"
DEFAULT_BASE_URL = "https://raw.githubusercontent.com"
MANIFEST = Path(__file__).resolve().parent / "shared_data.toml"
DOWNLOAD_TIMEOUT_S = 60


class SharedFilesMissing(RuntimeError):
    """The shared data folder, or a file in it, is not where the setting says."""


class SharedFetchFailed(RuntimeError):
    """A listed file could not be downloaded, or its bytes are not the listed ones."""


@dataclass(frozen=True, slots=True)
class SharedSource:
    """One shared file: where it sits in the shared folder, and where it is published."""

    path: str
    repository: str
    commit: str
    source_path: str
    sha256: str

    def url(self, base_url: str) -> str:
        """Its address under a raw-file base URL laid out as OWNER/REPO/COMMIT/PATH."""
        return f"{base_url.rstrip('/')}/{self.repository}/{self.commit}/{self.source_path}"


def manifest(path: Path = MANIFEST) -> list[SharedSource]:
    """The files listed in tests/shared_data.toml."""
    with path.open("rb") as fh:
        return [SharedSource(**record) for record in tomllib.load(fh)["file"]]


def cache_dir() -> Path:
    """Where fetched files go: the user's cache folder (XDG_CACHE_HOME, ~/.cache, …) / sanctionsbot / shared."""
    import pooch  # a development dependency: only the test tooling needs it

    return Path(pooch.os_cache("sanctionsbot")) / "shared"


def _holds_manifest(folder: Path) -> bool:
    return all((folder / source.path).is_file() for source in manifest())


def _local_dir() -> Path | None:
    """The folder named by SANCTIONSBOT_SHARED, else ../shared, if it exists."""
    configured = os.environ.get(ENV_VAR)
    path = Path(configured).expanduser() if configured else REPO_ROOT.parent / "shared"
    return path if path.is_dir() else None


def shared_dir() -> Path:
    """The shared folder: $SANCTIONSBOT_SHARED, else ../shared, else a complete fetched copy in the cache."""
    local = _local_dir()
    if local is not None:
        return local
    fetched = cache_dir()
    if _holds_manifest(fetched):
        return fetched
    where = os.environ.get(ENV_VAR) or REPO_ROOT.parent / "shared"
    raise SharedFilesMissing(
        f"shared data folder not found at {where}: run `python3 dev.py test` to fetch it from its public sources, "
        f"or set {ENV_VAR} to the folder holding data/un-consolidated/ and data/discord/ (see README, 'Shared data')"
    )


def is_fetched_copy(folder: Path) -> bool:
    """Whether a folder is the copy downloaded from the manifest (it lacks the files with no public source)."""
    return folder.resolve() == cache_dir().resolve()


def shared_file(*parts: str) -> Path:
    """One file under the shared folder, with a clear error if it is missing."""
    path = shared_dir().joinpath(*parts)
    if not path.is_file():
        raise SharedFilesMissing(f"shared file missing: {path} (set {ENV_VAR}; see README, 'Shared data')")
    return path


def unpublished_shared_file(*parts: str) -> Path:
    """A shared file with no public source: the test that needs it is skipped, saying why, on a fetched copy."""
    folder = shared_dir()
    if is_fetched_copy(folder) and not folder.joinpath(*parts).is_file():
        import pytest

        pytest.skip(f"{'/'.join(parts)} has no public source, so the fetched test data lacks it; set {ENV_VAR}")
    return shared_file(*parts)


UN_LIST_DATES = ("2017-06-20", "2017-07-03", "2020-03-20", "2024-09-21", "2024-09-26")


def un_list(date: str) -> Path:
    """One of the five shared UN Consolidated List copies, by its generation date."""
    return shared_file("data", "un-consolidated", f"un-{date}.xml")


def openapi_path() -> Path:
    """Discord's OpenAPI description."""
    return shared_file("data", "discord", "openapi.json")


def fetch_shared(base_url: str, target: Path, sources: list[SharedSource] | None = None) -> Path:
    """Download every listed file under `target` (skipping those already there with the right SHA-256)."""
    import pooch
    import requests

    pooch.get_logger().setLevel("WARNING")
    listed = manifest() if sources is None else sources
    store = pooch.create(
        path=target,
        base_url=base_url.rstrip("/") + "/",
        registry={source.path: f"sha256:{source.sha256}" for source in listed},
        urls={source.path: source.url(base_url) for source in listed},
    )
    downloader = pooch.HTTPDownloader(timeout=DOWNLOAD_TIMEOUT_S)
    advice = f"set {URL_VAR} to a mirror laid out as OWNER/REPO/COMMIT/PATH, or {ENV_VAR} to a folder holding the files"
    for source in listed:
        url = source.url(base_url)
        try:
            store.fetch(source.path, downloader=downloader)
        except ValueError as exc:  # pooch's hash check
            raise SharedFetchFailed(
                f"test data {source.path}: {url} does not have the SHA-256 listed in tests/shared_data.toml "
                f"({source.sha256[:12]}…); the source or mirror is corrupt: {advice}"
            ) from exc
        except (requests.RequestException, OSError) as exc:
            reason = type(exc).__name__
            raise SharedFetchFailed(f"test data {source.path}: cannot download {url} ({reason}): {advice}") from exc
    return target


def ensure_shared() -> Path:
    """The shared folder for a test run, downloading it into the cache when it is nowhere here."""
    local = _local_dir()
    if local is not None:
        return local
    if os.environ.get(ENV_VAR):
        print(f"{ENV_VAR}={os.environ[ENV_VAR]} is not a folder; fetching the test data instead", file=sys.stderr)
    base_url = os.environ.get(URL_VAR) or DEFAULT_BASE_URL
    target = cache_dir()
    if not _holds_manifest(target):
        print(f"fetching the test data from {base_url} into {target} …", file=sys.stderr, flush=True)
    return fetch_shared(base_url, target)


def main() -> int:
    """`python -m tests.shared_files`: print the shared folder, fetching it first if needed; one line on failure."""
    try:
        folder = ensure_shared()
    except SharedFetchFailed as exc:
        print(exc, file=sys.stderr)
        return 1
    print(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
