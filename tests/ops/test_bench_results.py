"""``make bench`` leaves the tree clean: results go to the ignored ``bench/out/`` unless asked to record them."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _results_dir(record: str | None) -> Path:
    env = {k: v for k, v in os.environ.items() if k != "BENCH_RECORD"}
    if record is not None:
        env["BENCH_RECORD"] = record
    done = subprocess.run(
        [sys.executable, "-c", "import benchlib; print(benchlib.RESULTS)"],
        cwd=ROOT / "bench",
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(done.stdout.strip())


def test_results_go_to_an_ignored_folder_unless_recorded():
    assert _results_dir(None) == ROOT / "bench" / "out"
    assert _results_dir("0") == ROOT / "bench" / "out"
    assert _results_dir("1") == ROOT / "bench" / "results"


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(), reason="not a git checkout")
def test_the_out_folder_is_ignored_and_results_are_not():
    ignored = subprocess.run(["git", "check-ignore", "-q", "bench/out/http.json"], cwd=ROOT, check=False)
    assert ignored.returncode == 0
    recorded = subprocess.run(["git", "check-ignore", "-q", "bench/results/http.json"], cwd=ROOT, check=False)
    assert recorded.returncode == 1


def test_make_bench_passes_record_to_the_benchmarks():
    makefile = (ROOT / "Makefile").read_text()
    assert "export BENCH_RECORD := $(if $(RECORD),1,0)" in makefile
