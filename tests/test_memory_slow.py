"""Memory as the machine feels it, with real sandboxed kernels (slow tier): a forked pool over shared data is not
penalised, memory held in memfd files nobody maps and files on the scratch tmpfs count, and processes a notebook
leaves running do not starve the checks.

Each notebook is the lab-01 PyTorch sample (17/22) with one cell appended; each test names what the memory watch
that summed the processes' resident sizes did instead (the control lives in the report of the change that made
these tests, as the old watch is gone)."""

from __future__ import annotations

import os
import re

import pytest
from adversarial import SAMPLE_SCORE, attacked, memory
from test_sandbox_slow import grade_nb

from grader.kernel import sandbox

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not sandbox.available()[0], reason=f"no sandbox here: {sandbox.available()[1]}")]
ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="RLIMIT_NPROC and the tmpfs scratch need the grader to be root")


def test_a_forked_pool_over_shared_data_keeps_its_points():
    """300 MB shared by the kernel and 4 forked workers under a 1000 MiB limit: their resident sizes sum to over
    2,000 MiB (the old watch killed the kernel: a `memory` cell), their unique memory to about 600 MiB."""
    outcome = grade_nb(attacked(memory.shared_pool(300, workers=4)), memory_mb=1000)
    assert outcome.report.cells == [], outcome.report.cells
    assert "POOL_OK 4" in outcome.text and outcome.score == SAMPLE_SCORE


def test_memory_held_in_memfd_files_nobody_maps_ends_the_kernel():
    """3 x 400 MB of memfd files, never mapped, under a 1000 MiB limit (the old watch saw none of it)."""
    outcome = grade_nb(attacked(memory.memfd_hoard(400, files=3)), memory_mb=1000)
    assert [cell.status for cell in outcome.report.cells] == ["memory"]
    message = outcome.report.cells[0].message
    assert "memory limit of 1000 MiB" in message
    assert re.search(r"shared-memory object|cgroup memory limit", message), message
    assert "HELD_MB 1200" not in outcome.text
    assert outcome.score == SAMPLE_SCORE  # the restarted kernel still has the student's functions


@ROOT_ONLY
def test_system_v_segments_nobody_attached_end_the_kernel():
    """3 x 400 MB System V segments, filled and detached, under a 1000 MiB limit (the old watch saw none of it)."""
    outcome = grade_nb(attacked(memory.sysv_hoard(400, count=3)), memory_mb=1000)
    assert [cell.status for cell in outcome.report.cells] == ["memory"]
    assert re.search(r"shared-memory object|cgroup memory limit", outcome.report.cells[0].message)
    assert "SEGMENTS_MB 1200" not in outcome.text and outcome.score == SAMPLE_SCORE


@ROOT_ONLY
def test_files_on_the_scratch_count_within_the_same_budget():
    """600 MB in /tmp (the scratch tmpfs) and a 400 MB array under a 1000 MiB limit (the old watch saw 400)."""
    outcome = grade_nb(attacked(memory.scratch_and_memory(600, 400)), memory_mb=1000)
    assert [cell.status for cell in outcome.report.cells] == ["memory"]
    assert re.search(r"[56]\d\d MiB in the scratch directory|cgroup memory limit", outcome.report.cells[0].message)
    assert outcome.score == SAMPLE_SCORE


@ROOT_ONLY
def test_processes_left_running_do_not_starve_the_checks():
    """The notebook leaves as many `sleep` children as its 64-process limit allows and runs `rnn_step` in a thread
    of its own: correct, but every call needs a task (the old grader lost rnn-step and run-sequence-rnn: 13/22)."""
    limits = sandbox.SandboxLimits(processes=64)
    outcome = grade_nb(attacked(memory.leftover_children("rnn_step")), sandbox_limits=limits)
    left = int(outcome.text.split("LEFT ", 1)[1].split()[0])
    assert 32 < left < 64 and "refused" in outcome.text  # the room was full when the notebook ended
    assert outcome.report.cells == [] and outcome.score == SAMPLE_SCORE


def test_a_kernel_runs_in_its_cgroup_and_an_out_of_memory_kill_ends_the_cell_as_memory(tmp_path, monkeypatch):
    """The cgroup path, through a fake cgroup directory (where the machine delegates no memory controller): the
    kernel is moved into the group, and a kill the group's memory.events reports ends the cell as over the limit."""
    import threading

    from grader.kernel.execute import KernelSession

    parent = tmp_path / "cgroup"
    parent.mkdir()
    (parent / "cgroup.controllers").write_text("memory pids\n")
    (parent / "cgroup.subtree_control").write_text("memory\n")
    monkeypatch.setenv("GRADER_CGROUP_PARENT", str(parent))
    workdir = tmp_path / "work"
    workdir.mkdir()
    session = KernelSession(workdir, {}, "x = 1", memory_mb=500)
    try:
        session.start()
        group = session._cgroup
        assert group is not None and session.memory_method.startswith("cgroup")
        assert str(session._kernel_pid()) in (group.path / "cgroup.procs").read_text()
        assert (group.path / "memory.max").read_text() == str(500 * 1024 * 1024)
        oom = threading.Timer(2.0, (group.path / "memory.events").write_text, ["oom 1\noom_kill 1\n"])
        oom.start()
        outcome = session.run_code("import time\ntime.sleep(60)", timeout=120)
        assert outcome.status == "memory" and "cgroup memory limit" in outcome.message, outcome
        assert outcome.seconds < 30
    finally:
        session.close()
