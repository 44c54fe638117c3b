"""Failed jobs are visible and can be run again (`glanage jobs`)."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner
from rq import SimpleWorker

from services.cli import main
from shared.runtime import Runtime


@pytest.fixture
def env(pg_runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = pg_runtime.settings
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("REDIS_URL", settings.redis_url)
    monkeypatch.setenv("SECRET_KEY", settings.secret_key)


def test_failed_jobs_are_listed_and_retried(pg_runtime: Runtime, env: Any) -> None:
    queue = pg_runtime.queue("matcher")
    # A wave timer for a surplus id that is not a number: it fails in the job.
    job = queue.enqueue("services.matcher.jobs.next_wave", "not-an-id", 1)
    SimpleWorker([queue], connection=pg_runtime.redis).work(burst=True)
    assert job.get_status(refresh=True) == "failed"

    listed = CliRunner().invoke(main, ["jobs", "failed"])
    assert listed.exit_code == 0, listed.output
    assert job.id in listed.output and "next_wave" in listed.output

    assert CliRunner().invoke(main, ["jobs", "retry"]).exit_code == 2  # says what to do
    retried = CliRunner().invoke(main, ["jobs", "retry", job.id])
    assert "1 job(s)" in retried.output
    assert job.get_status(refresh=True) == "queued"
    assert queue.failed_job_registry.count == 0
