"""The scan on a Dask cluster (a LocalCluster on 127.0.0.1) gives the process pool's manifest."""

from __future__ import annotations

import pandas as pd
import pytest

from specpub.cli import main
from specpub.media import scan

from . import _images as im

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=40,
    ) as cluster:
        yield cluster


@pytest.fixture
def folder(tmp_path):
    im.tiff(tmp_path / "BR1.tif", pages=2, tile=(16, 16))
    im.tiff(tmp_path / "BR2.tif", bigtiff=True)
    im.jpeg(tmp_path / "BR1.jpg", metadata=True)
    im.png16(tmp_path / "BR2_lab.png")
    im.jp2(tmp_path / "BR3.jp2")
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "BR3.png").write_bytes((tmp_path / "BR1.jpg").read_bytes())  # JPEG as .png
    return tmp_path


def test_dask_cluster_gives_the_process_pools_manifest(cluster, folder):
    pooled = scan([folder], workers=2, progress=None).frame
    with distributed.Client(cluster) as client:
        on_dask = scan([folder], client=client, chunk_size=2, progress=None)
    assert on_dask.info["scan"]["workers"] == 2
    pd.testing.assert_frame_equal(
        on_dask.frame.drop(columns=["scanned_at"]), pooled.drop(columns=["scanned_at"])
    )
    assert len(pooled) == 7


def test_cli_scheduler_address(cluster, folder, tmp_path_factory, capsys):
    ws = tmp_path_factory.mktemp("ws")
    code = main(
        [
            "scan",
            "--workspace",
            str(ws),
            str(folder),
            "--scheduler",
            cluster.scheduler_address,
            "--json",
        ]
    )
    assert code == 0
    assert '"files_read": 7' in capsys.readouterr().out


@pytest.mark.slow  # waits for the connection timeout (10 s)
def test_unreachable_scheduler_is_a_clear_error(folder, tmp_path, capsys):
    code = main(
        [
            "scan",
            "--workspace",
            str(tmp_path / "ws"),
            str(folder),
            "--scheduler",
            "tcp://127.0.0.1:9",
        ]
    )
    assert code == 2
    assert "cannot reach the Dask scheduler" in capsys.readouterr().err
