"""The same Idempotency-Key sent to two replicas at the same moment runs once: the key is claimed in the catalog
database before the work, the other replica waits for the winner's answer and replays it (same status, same body)."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx

from service.store.stores import lake_at
from tests.helpers import seeded_copy
from tests.live import live_server

TRIALS = 8


def send(
    start: threading.Barrier,
    answers: dict[str, httpx.Response],
    base: str,
    name: str,
    rows: str,
    headers: dict[str, str],
) -> None:
    start.wait()
    answers[name] = httpx.post(f"{base}/v1/observations", content=rows, headers=headers, timeout=120)


def test_one_key_sent_to_two_replicas_at_once_commits_once(tmp_path: Path) -> None:
    shared = seeded_copy(tmp_path / "shared")
    env = {
        "YARDSTICK_CATALOG_URI": f"sqlite:///{shared / 'catalog.db'}",
        "YARDSTICK_WAREHOUSE": str(shared / "warehouse"),
    }
    lake = lake_at(shared)
    _, key = lake.keys.create("bureau", "write")
    with live_server(tmp_path / "a", **env) as a, live_server(tmp_path / "b", **env) as b:
        for trial in range(TRIALS):
            rows = "indicator,region,period,value,published\n" + "".join(
                f"industry.taxes_paid,{code},2022-Q3,{trial + i},2023-04-{trial + 1:02d}\n"
                for i, code in enumerate(["430400", "430100", "430200", "430300"])
            )
            headers = {"Authorization": f"Bearer {key}", "Content-Type": "text/csv", "Idempotency-Key": f"t{trial}"}
            answers: dict[str, httpx.Response] = {}
            start = threading.Barrier(2)

            before = lake.current_id()
            threads = [
                threading.Thread(target=send, args=(start, answers, s.base, n, rows, headers))
                for s, n in ((a, "a"), (b, "b"))
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert [answers[n].status_code for n in "ab"] == [201, 201], [answers[n].text for n in "ab"]
            replayed = [answers[n].headers.get("idempotency-replayed") == "true" for n in "ab"]
            assert sorted(replayed) == [False, True], trial  # one did the work, the other replayed it
            assert answers["a"].json() == answers["b"].json()
            assert lake.current_id() == before + 1, "the upload was committed twice"
            assert answers["a"].json()["added"] + answers["a"].json()["revised"] == 4


def test_a_failed_upload_releases_its_key(lake_dir: Path) -> None:
    _, key = lake_at(lake_dir).keys.create("bureau", "write")
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "text/csv", "Idempotency-Key": "retry-me"}
    bad = "indicator,region,period,value,published\nindustry.taxes_paid,nowhere,2022-Q3,1,2023-05-01\n"
    with live_server(lake_dir) as live:
        first = httpx.post(f"{live.base}/v1/observations", content=bad, headers=headers, timeout=60)
        assert first.status_code == 422
        again = httpx.post(f"{live.base}/v1/observations", content=bad, headers=headers, timeout=60)
        assert again.status_code == 422 and "idempotency-replayed" not in again.headers  # done again, not replayed
