"""deploy/compose.yaml: the bot on PostgreSQL, shards split over processes (no Docker engine here to run it)."""

from __future__ import annotations

import yaml

from bot.settings import settings_from_env
from tests.shared_files import REPO_ROOT


def test_compose_runs_every_shard_once_on_one_postgresql_with_health_checks() -> None:
    compose = yaml.safe_load((REPO_ROOT / "deploy" / "compose.yaml").read_text())
    services = compose["services"]
    postgres = services["postgres"]
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert any(v.split(":")[0] in compose["volumes"] for v in postgres["volumes"])  # the database on a volume
    bots = {name: s for name, s in services.items() if name.startswith("bot")}
    shard_ids: list[int] = []
    for name, service in bots.items():
        assert service["healthcheck"]["test"] == ["CMD", "sanctionsbot", "health"], name
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy", name
        env = {
            k: str(v).replace("${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}", "pw")
            for k, v in service["environment"].items()
        }
        settings = settings_from_env(env)  # the variables are ones the bot accepts
        assert settings.database_url is not None and "@postgres:5432/" in settings.database_url.reveal()
        assert settings.shard_count == len(bots) and settings.shard_ids is not None
        shard_ids += settings.shard_ids
    assert sorted(shard_ids) == list(range(len(bots)))  # every shard exactly once
    assert (REPO_ROOT / services["bot-0"]["build"]["context"].replace("..", ".") / "Dockerfile").is_file()
