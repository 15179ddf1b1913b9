"""The multi-host topology (tests/multihost.py): separate database, Redis, S3, two worker
hosts and the web server, one worker host killed while jobs run."""

from __future__ import annotations

from .. import multihost


def test_two_worker_hosts_share_only_the_database_redis_and_the_bucket():
    summary = multihost.run()
    print(multihost.show(summary))
    assert set(summary["apis"]) == {
        "face/shape",
        "thousandlandmark",
        "fuseapi/face",
        "idphoto/check",
    }
    assert summary["page_uploads_done"] == multihost.PAGE_JOBS
    assert summary["lost"] == 0
    assert sum(summary["kill_jobs"].values()) == multihost.KILL_JOBS
    assert summary["objects_removed_by_delete"] > 0
    assert summary["objects_left_after_purge"] == 0
    hosts = summary["per_host"]
    assert hosts["host-a"]["started"] > 0 and hosts["host-b"]["finished"] > 0
