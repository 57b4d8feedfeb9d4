"""The partitioned plan on a Dask cluster (2 worker processes started here)
and an fsspec URL as input: the same bytes as one process."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Iterator

import pytest

from lbconvert import convert
from lbconvert.cli import main

from .test_jobs import OPTIONS, stress_rows, tree_hashes
from .inline import write_export

distributed = pytest.importorskip("distributed")
fsspec = pytest.importorskip("fsspec")


@pytest.fixture(scope="module")
def cluster() -> Iterator["distributed.LocalCluster"]:
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=40) as found:
        yield found


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_export(tmp_path_factory.mktemp("dask") / "export.ndjson", stress_rows())


@pytest.mark.parametrize("to", ["coco", "voc"])
def test_executor_of_a_dask_client(cluster: "distributed.LocalCluster", export: Path,
                                   tmp_path: Path, to: str) -> None:
    convert(export, to, tmp_path / "one", **OPTIONS)
    with distributed.Client(cluster) as client:
        report = convert(export, to, tmp_path / "dask", executor=client.get_executor(),
                         **OPTIONS)
        assert len(client.scheduler_info()["workers"]) == 2
    assert tree_hashes(tmp_path / "one") == tree_hashes(tmp_path / "dask")
    assert report.items > 60


def test_dask_scheduler_option(cluster: "distributed.LocalCluster", export: Path,
                               tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["convert", str(export), "--to", "yolo", "-o", str(tmp_path / "one"),
                 "--split", "train=0.6,val=0.3,test=0.1"]) == 0
    assert main(["convert", str(export), "--to", "yolo", "-o", str(tmp_path / "dask"),
                 "--split", "train=0.6,val=0.3,test=0.1",
                 "--dask-scheduler", cluster.scheduler_address]) == 0
    out = [re.sub(r" in [0-9.]+ s$", "", line) for line in capsys.readouterr().out.splitlines()]
    assert out[: len(out) // 2] == out[len(out) // 2:]  # the same summary, but for the time
    assert tree_hashes(tmp_path / "one") == tree_hashes(tmp_path / "dask")


def test_a_bad_line_on_the_cluster(cluster: "distributed.LocalCluster", export: Path,
                                   tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = export.read_bytes().splitlines(keepends=True)
    lines[-3] = b'{"data_row": 3}\n'
    bad = tmp_path / "bad.ndjson"
    bad.write_bytes(b"".join(lines))
    assert main(["convert", str(bad), "--to", "coco", "-o", str(tmp_path / "out")]) == 1
    one = capsys.readouterr().err
    assert main(["convert", str(bad), "--to", "coco", "-o", str(tmp_path / "out"),
                 "--dask-scheduler", cluster.scheduler_address]) == 1
    assert capsys.readouterr().err == one
    assert f"bad.ndjson:{len(lines) - 2}:" in one
    assert sorted(os.listdir(tmp_path)) == ["bad.ndjson"]


def test_unreachable_scheduler(export: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("lbconvert.cli.commands.DASK_CONNECT_TIMEOUT", 1)
    assert main(["convert", str(export), "--to", "coco", "-o", str(tmp_path / "out"),
                 "--dask-scheduler", "tcp://127.0.0.1:9"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("lbconvert: error: cannot reach the Dask scheduler") and err.count("\n") == 1


@pytest.mark.parametrize("jobs", [1, 2])
def test_fsspec_url_input(export: Path, tmp_path: Path, jobs: int) -> None:
    convert(export, "coco", tmp_path / "path", **OPTIONS)
    convert(export.as_uri(), "coco", tmp_path / "url", jobs=jobs, **OPTIONS)
    assert tree_hashes(tmp_path / "path") == tree_hashes(tmp_path / "url")


def test_fsspec_memory_url(export: Path, tmp_path: Path) -> None:
    memory = fsspec.filesystem("memory")
    memory.pipe("/lbconvert-test/export.ndjson", export.read_bytes())
    try:
        convert(export, "jsonl", tmp_path / "path")
        convert("memory://lbconvert-test/export.ndjson", "jsonl", tmp_path / "url", jobs=2)
    finally:
        memory.rm("/lbconvert-test", recursive=True)
    assert tree_hashes(tmp_path / "path") == tree_hashes(tmp_path / "url")
