"""The sandbox and the bounds on what the kernel leaves behind, without a kernel (fast tier).

Each defence is shown against an attack, with the undefended path as the control where there is one.
"""

from __future__ import annotations

import gc
import io
import json
import os
import shutil
import struct
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import grader
from grader.cli import main
from grader.course.notebook import read_notebook
from grader.errors import InputError, ProbeError
from grader.kernel import probing, sandbox
from grader.kernel.execute import KernelSession, OutputBudget
from grader.reports.report import CheckResult, Report
from grader.reports.workflow_text import escape_commands, fence, for_log

REPO = Path(grader.__file__).resolve().parents[1]


# -- the kernel's environment and command line ----------------------------------------------------
def test_kernel_environment_is_an_allow_list():
    grader_env = {"PATH": "/usr/bin", "LANG": "C.UTF-8", "GITHUB_TOKEN": "ghs_secret", "GRADER_REPO_TOKEN": "x",
                  "AWS_SECRET_ACCESS_KEY": "y", "HOME": "/root", "SSH_AUTH_SOCK": "/tmp/agent", "GITHUB_WORKSPACE": "/w"}
    env = sandbox.kernel_environment({"OMP_NUM_THREADS": "2", "MY_API_TOKEN": "z"}, Path("/scratch"), grader_env)
    assert env["PATH"] == "/usr/bin" and env["OMP_NUM_THREADS"] == "2" and env["HOME"] == "/scratch"
    for name in ("GITHUB_TOKEN", "GRADER_REPO_TOKEN", "AWS_SECRET_ACCESS_KEY", "SSH_AUTH_SOCK", "GITHUB_WORKSPACE",
                 "MY_API_TOKEN"):
        assert name not in env
    assert not any("secret" in value for value in env.values())


def _bound(argv: list[str]) -> list[tuple[str, str, str]]:
    return [(argv[i], argv[i + 1], argv[i + 2]) for i in range(len(argv) - 2)
            if argv[i] in ("--bind", "--ro-bind", "--dev-bind")]


def test_the_kernel_sees_only_its_own_directories_writable_and_nothing_private():
    box = sandbox.Sandbox(sandbox.BUBBLEWRAP)
    try:
        argv = box.argv({"HOME": str(box.scratch), "GITHUB_TOKEN": "never"})
        for flag in ("--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--die-with-parent",
                     "--new-session", "--clearenv", "--proc"):
            assert flag in argv
        writable = {source for kind, source, _ in _bound(argv) if kind != "--ro-bind"}
        assert writable == {str(box.scratch), str(box.ipc), str(box.answers), str(box.shm), str(box.tmp)}
        assert ("--ro-bind", str(box.exchange), str(box.exchange)) in _bound(argv)  # requests: read-only
        # nothing of the scratch is imported at start: the launcher isolated, the kernel in safe-path mode
        assert argv[argv.index("--") + 2] == "-I" and argv[-5:-3] == ["-P", "-m"]
        at = argv.index("IPYTHONDIR")  # IPython's profile and start-up files: this start's, not the scratch's
        assert argv[at - 1:at + 2] == ["--setenv", "IPYTHONDIR", str(box.ipc / ".ipython")]
        sources = [Path(source) for _, source, _ in _bound(argv)]
        for private in (REPO, REPO / "reference", REPO / "grader", Path.home(), REPO / "tests"):
            assert private not in sources, private
            # a bind of a parent would show it too
            assert not any(source in private.parents for source in sources if source != Path("/")), private
        # the grader's own environment is not passed on: bwrap is told every variable
        assert argv[argv.index("--clearenv") + 1] == "--setenv"
        assert "ipykernel_launcher" in argv and argv[-1] == "{connection_file}"
        if os.geteuid() == 0:
            assert argv[argv.index("--cap-drop"):argv.index("--cap-drop") + 2] == ["--cap-drop", "ALL"]
            assert "RLIMIT_NPROC" in box.rlimits()
        assert box.rlimits()["RLIMIT_FSIZE"] == box.limits.file_mb * 1024 * 1024
    finally:
        assert box.cleanup() == []
    assert not box.root.exists()


def test_available_says_why_and_the_sandbox_can_be_turned_off(monkeypatch):
    ok, reason = sandbox.available()
    assert isinstance(ok, bool) and reason
    assert sandbox.choose(False)[0] == sandbox.NONE
    monkeypatch.setenv("GRADER_SANDBOX", "off")
    assert sandbox.choose(None)[0] == sandbox.NONE


def test_exchange_directories_are_fresh_and_inside_the_bound_exchange():
    box = sandbox.Sandbox(sandbox.NONE)
    try:
        first, second = (probing.Exchange(box.exchange, box.answers, box.uid) for _ in range(2))
        assert first.inputs != second.inputs and first.inputs.parent == box.exchange
        assert first.answers.parent == box.answers and first.answers.name == first.inputs.name
        assert not any(first.inputs.iterdir()) and not any(first.answers.iterdir())
        first.close()
        assert not first.inputs.exists() and not first.answers.exists() and second.answers.exists()
    finally:
        box.cleanup()


def test_a_fresh_ipc_directory_at_every_kernel_start():
    box = sandbox.Sandbox(sandbox.NONE)
    try:
        box.kernel_manager({})
        first = box.ipc
        (first / "planted").symlink_to("/nonexistent")
        box.kernel_manager({})
        assert box.ipc != first and box.ipc.parent == first.parent and not any(box.ipc.iterdir())
    finally:
        assert box.cleanup() == []


def _victim(tmp_path: Path) -> tuple[Path, bytes]:
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"the grader's own file\n")
    victim.chmod(0o600)
    return victim, victim.read_bytes()


def test_inputs_are_written_into_a_directory_the_kernel_cannot_write_without_following_links(tmp_path):
    victim, content = _victim(tmp_path)
    parent = tmp_path / "exchange"
    parent.mkdir()
    exchange = probing.Exchange(parent, tmp_path, None)
    try:
        # a link planted where the request goes (as the kernel could in a directory it owns)
        (exchange.inputs / probing.Exchange.REQUEST).symlink_to(victim)
        (exchange.inputs / probing.Exchange.INPUTS).symlink_to(victim)
        with pytest.raises(FileExistsError):
            exchange.write(probing.Exchange.REQUEST, b"{}")
        with pytest.raises(FileExistsError):
            exchange.write_arrays(probing.Exchange.INPUTS, {"a": np.zeros(3)})
        assert victim.read_bytes() == content and victim.stat().st_mode & 0o777 == 0o600
        # control: what the grader did before, a write and a chmod by path, goes through the link
        (exchange.inputs / probing.Exchange.REQUEST).write_text("{}")
        os.chmod(exchange.inputs / probing.Exchange.REQUEST, 0o644)
        assert victim.read_bytes() == b"{}" and victim.stat().st_mode & 0o777 == 0o644
    finally:
        exchange.close()
    assert not exchange.inputs.exists() and victim.exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="handing a directory to another user needs root")
def test_only_the_answer_directory_is_handed_to_the_kernel_and_only_once_the_inputs_are_written(tmp_path):
    for part in ("in", "out"):
        (tmp_path / part).mkdir()
    exchange = probing.Exchange(tmp_path / "in", tmp_path / "out", sandbox.SANDBOX_UIDS.start)
    try:
        exchange.write(probing.Exchange.REQUEST, b"{}")
        assert exchange.answers.stat().st_uid == 0  # not yet
        exchange.hand_over()
        for path, owner, mode in ((exchange.inputs, 0, 0o755), (exchange.inputs / probing.Exchange.REQUEST, 0, 0o644),
                                  (exchange.answers, sandbox.SANDBOX_UIDS.start, 0o755)):
            info = path.lstat()
            assert (info.st_uid, info.st_mode & 0o777) == (owner, mode), path
    finally:
        exchange.close()
    assert not exchange.inputs.exists() and not exchange.answers.exists()


def test_answers_are_read_through_the_directory_descriptor(tmp_path):
    for part in ("in", "out"):
        (tmp_path / part).mkdir()
    exchange = probing.Exchange(tmp_path / "in", tmp_path / "out", None)
    secret = tmp_path / "hidden.json"
    secret.write_text(json.dumps({"results": {"c0": {"ok": True, "value": 1.0}}}))
    try:
        exchange.write(probing.Exchange.REQUEST, b"{}")
        assert (exchange.inputs / probing.Exchange.REQUEST).stat().st_mode & 0o777 == 0o644
        (exchange.answers / probing.Exchange.RESPONSE).write_text(json.dumps({"results": {"c0": {"ok": True,
                                                                                                  "value": 2.0}}}))
        (exchange.answers / probing.Exchange.OUTPUTS).write_bytes(_npz())
        # the answer directory itself replaced by a link after it was made: the grader reads the one it made
        moved = tmp_path / "moved"
        exchange.answers.rename(moved)
        exchange.answers.mkdir()
        (exchange.answers / probing.Exchange.RESPONSE).symlink_to(secret)
        assert exchange.has(probing.Exchange.RESPONSE)
        assert exchange.read_response(["c0"])["c0"].value == 2.0
        (moved / probing.Exchange.RESPONSE).unlink()
        (moved / probing.Exchange.RESPONSE).symlink_to(secret)
        with pytest.raises(ProbeError, match="cannot be read|not a regular file"):
            exchange.read_response(["c0"])
        (moved / probing.Exchange.RESPONSE).unlink()
        os.mkfifo(moved / probing.Exchange.RESPONSE)
        with pytest.raises(ProbeError, match="not a regular file"):
            exchange.read_response(["c0"])
    finally:
        exchange.close()
    assert secret.exists()


# -- answer files: bounded reading -------------------------------------------------------------------
def _npz(**arrays: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _deflated_npz(name: str, array: np.ndarray) -> bytes:
    """What a patched ``numpy.savez`` in the kernel writes: a small file that inflates to a large array."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive, \
            archive.open(f"{name}.npy", "w", force_zip64=True) as member:
        np.lib.format.write_array(member, array)
    return buffer.getvalue()


def test_valid_answers_round_trip():
    arrays = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.asfortranarray(np.ones((3, 2))),
              "c": np.array([True, False]), "d": np.array(5, dtype=np.int64)}
    loaded = probing.load_arrays(_npz(**arrays))
    for key, value in arrays.items():
        np.testing.assert_array_equal(loaded[key], value)
        assert loaded[key].dtype == value.dtype and loaded[key].shape == value.shape


def test_an_answer_that_inflates_is_refused_before_it_is_inflated(monkeypatch):
    data = _deflated_npz("a0", np.zeros(4 * 1024 * 1024))  # 32 MiB of zeros in a few KiB
    assert len(data) < 200_000
    # control: numpy inflates it whole
    with np.load(io.BytesIO(data), allow_pickle=False) as stored:
        assert stored["a0"].nbytes == 32 * 1024 * 1024
    monkeypatch.setattr(probing, "MAX_ARRAY_BYTES", 1024 * 1024)
    with pytest.raises(ProbeError, match="too large"):
        probing.load_arrays(data)
    monkeypatch.setattr(probing, "MAX_ARRAY_BYTES", 64 * 1024 * 1024)
    monkeypatch.setattr(probing, "MAX_TOTAL_BYTES", 1024 * 1024)
    with pytest.raises(ProbeError, match="too large once inflated"):
        probing.load_arrays(data)


def test_a_member_whose_header_or_directory_lies_about_its_size_is_refused():
    # a header that asks for 8 TB over a few bytes of data: refused before anything is allocated
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive, archive.open("a0.npy", "w") as member:
        np.lib.format.write_array_header_2_0(member, {"descr": "<f8", "fortran_order": False,
                                                      "shape": (10**12,)})
        member.write(b"\0" * 64)
    with pytest.raises(ProbeError, match="does not hold"):
        probing.load_arrays(buffer.getvalue())
    # a directory rewritten to claim a small member that inflates to 32 MiB: zipfile stops at the claimed
    # size and the array's header is refused against it
    member = io.BytesIO()
    np.lib.format.write_array(member, np.zeros(4 * 1024 * 1024))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a0.npy", member.getvalue())
    raw = bytearray(buffer.getvalue())
    struct.pack_into("<I", raw, 22, 1000)  # uncompressed size in the local header
    central = raw.rfind(b"PK\x01\x02")
    struct.pack_into("<I", raw, central + 24, 1000)  # and in the central directory
    assert zipfile.ZipFile(io.BytesIO(bytes(raw))).infolist()[0].file_size == 1000
    with pytest.raises(ProbeError, match="does not hold|damaged"):
        probing.load_arrays(bytes(raw))


@pytest.mark.parametrize("arrays, message", [
    ({"a": np.array([{"x": 1}], dtype=object)}, "dtype"),
    ({"a": np.array(["text"])}, "dtype"),
    ({"a": np.zeros(3, dtype=[("x", "f4")])}, "dtype"),
    ({"a": np.zeros((1,) * 9)}, "shape"),
])
def test_arrays_that_are_not_plain_numbers_are_refused(arrays, message):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for key, value in arrays.items():
            with archive.open(f"{key}.npy", "w") as member:
                np.lib.format.write_array(member, value, allow_pickle=True)
    with pytest.raises(ProbeError, match=message):
        probing.load_arrays(buffer.getvalue())


def test_too_many_arrays_are_refused(monkeypatch):
    monkeypatch.setattr(probing, "MAX_ARRAYS", 10)
    with pytest.raises(ProbeError, match="arrays"):
        probing.load_arrays(_npz(**{f"a{i}": np.zeros(1) for i in range(11)}))


def test_answer_files_are_never_followed_through_a_link(tmp_path):
    secret = tmp_path / "hidden-labels.json"
    secret.write_text(json.dumps({"results": {"c0": {"ok": True, "value": 1.0}}}))
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    (exchange / "response.json").symlink_to(secret)
    (exchange / "outputs.npz").write_bytes(_npz())
    # control: an ordinary read follows the link to the file the kernel pointed at
    assert json.loads((exchange / "response.json").read_text())["results"]["c0"]["value"] == 1.0
    with pytest.raises(ProbeError, match="cannot be read|not a regular file"):
        probing.read_response(exchange / "response.json", exchange / "outputs.npz", ["c0"])
    os.mkfifo(exchange / "fifo")
    with pytest.raises(ProbeError, match="not a regular file"):
        probing.read_bounded(exchange / "fifo", 100)
    (exchange / "big.json").write_bytes(b"0" * 101)
    with pytest.raises(ProbeError, match="too large"):
        probing.read_bounded(exchange / "big.json", 100)


# -- output, notebooks, cleanup --------------------------------------------------------------------------
def test_output_budget_keeps_at_most_its_caps_and_says_so():
    budget = OutputBudget(per_cell=100, total=250)
    assert budget.admit(0, 60) and budget.admit(0, 40) and not budget.admit(0, 1)
    assert budget.admit(1, 100) and not budget.admit(2, 60)  # the notebook's cap
    assert budget.kept == 200 and "1 bytes" in budget.note(0) and "60 bytes" in budget.note(2)
    assert budget.note(1) == ""


def test_deeply_nested_notebooks_are_unusable_input_not_a_crash(tmp_path):
    path = tmp_path / "deep.ipynb"
    text = '{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": ' + "[" * 100_000 + "]" * 100_000 + "}"
    path.write_text(text)
    # garbage an earlier test left is collected now, not at the recursion limit, where a finalizer's error
    # cannot even be reported (pytest then fails this test for it)
    gc.collect()
    gc.disable()
    try:
        with pytest.raises(RecursionError):  # control: the parser itself gives up with an exception
            json.loads(text)
        with pytest.raises(InputError, match="nested too deeply"):
            read_notebook(path)
    finally:
        gc.enable()
    path.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                                "cells": [{"cell_type": "code", "source": {"x": 1}, "metadata": {}, "outputs": []}]}))
    with pytest.raises(InputError):
        read_notebook(path)


def test_cleanup_survives_what_a_kernel_does_to_its_scratch(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("not the kernel's")
    root = Path(tempfile.mkdtemp(dir=tmp_path))
    scratch = root / "scratch"
    scratch.mkdir()
    locked = scratch / "a" / "b"
    locked.mkdir(parents=True)
    (locked / "f").write_text("x")
    (scratch / "link-out").symlink_to(outside)
    os.chmod(locked, 0)
    os.chmod(scratch / "a", 0o500)
    # the scratch directory itself replaced by a link to somewhere else
    shutil.move(str(scratch), str(root / "moved"))
    (root / "scratch").symlink_to(outside)
    # control: the standard library refuses a link where the directory was
    with pytest.raises(OSError):
        shutil.rmtree(root / "scratch")
    assert sandbox.remove_tree(root / "scratch") == []
    assert sandbox.remove_tree(root) == []
    assert not root.exists() and (outside / "keep.txt").read_text() == "not the kernel's"


def test_cleanup_unlocks_through_descriptors_never_through_a_link(tmp_path, monkeypatch):
    victim_dir = tmp_path / "victim"
    victim_dir.mkdir()
    victim_dir.chmod(0o750)
    root = tmp_path / "run"
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "f").write_text("x")
    real_rmtree = shutil.rmtree
    swapped = []

    def racing_rmtree(path, *args, **kwargs):
        # the kernel's move, between the walk's failure and the unlocking: "b" becomes a link to a directory
        # of the grader's user
        onerror = kwargs.get("onerror")
        if onerror is not None and not swapped and Path(path) == root:
            swapped.append(1)
            os.rename(root / "a" / "b", root / "a" / "b-moved")
            (root / "a" / "b").symlink_to(victim_dir)
            onerror(os.open, str(root / "a" / "b"), None)
        return real_rmtree(path, *args, **kwargs)

    monkeypatch.setattr(shutil, "rmtree", racing_rmtree)
    assert sandbox.remove_tree(root) == []
    assert victim_dir.stat().st_mode & 0o777 == 0o750 and victim_dir.is_dir()


def test_cleanup_clears_immutable_files(tmp_path):
    root = tmp_path / "run"
    root.mkdir()
    target = root / "immutable"
    target.write_text("x")
    if os.geteuid() != 0 or shutil.which("chattr") is None or \
            os.system(f"chattr +i {target} 2>/dev/null") != 0:
        pytest.skip("chattr +i needs root and a file system that supports it")
    try:
        with pytest.raises(OSError):  # control: not even root can delete it as it is
            os.unlink(target)
        assert sandbox.remove_tree(root) == []
        assert not root.exists()
    finally:
        if target.exists():
            os.system(f"chattr -i {target}")


# -- GitHub Actions: student text cannot speak to the runner ---------------------------------------------
def runner_commands(log: str) -> list[str]:
    """The workflow commands a GitHub runner would act on in ``log`` (stop-commands honoured)."""
    commands, stopped = [], None
    for line in log.splitlines():
        if stopped is not None:
            if line == f"::{stopped}::":
                stopped = None
            continue
        if line.startswith("::stop-commands::"):
            stopped = line[len("::stop-commands::"):]
        elif line.startswith("::"):
            commands.append(line)
    return commands


FORGED = ("ran fine\n::notice title=Autograding complete::Points 22/22\n"
          '  ::notice title=Autograding report::{"totalPoints":22,"maxPoints":22}\n::stop-commands::guess\n::guess::\n'
          "::notice title=Autograding complete::Points 22/22")


def test_fenced_text_carries_no_command_and_a_guessed_token_cannot_end_the_fence():
    assert len(runner_commands(FORGED)) >= 2  # control: printed raw, the runner would read the forged points
    assert runner_commands(fence(FORGED)) == []
    assert runner_commands(escape_commands(FORGED)) == []
    assert "Points 22/22" in fence(FORGED)  # the student's text is still shown
    assert for_log("x", {"GITHUB_ACTIONS": "true"}).startswith("::stop-commands::")
    assert for_log("x", {}) == "x"


def _report(message: str) -> Report:
    checks = [CheckResult("rnn-step", "rnn_step", 0.0, 5.0, "failed", message),
              CheckResult("gru-step", "gru_step", 3.0, 3.0, "passed")]
    return Report("01-rnn-cells", "torch", "sub.ipynb", checks, seed=1)


def test_check_in_github_actions_prints_student_text_fenced_and_its_points_last(monkeypatch, tmp_path):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "out"))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary"))
    monkeypatch.setattr("grader.judging.grading.grade", lambda *a, **k: _report(FORGED))
    path = tmp_path / "sub.ipynb"
    path.write_text("{}")
    result = CliRunner().invoke(main, ["check", str(path), "--format", "classroom", "--format", "terminal",
                                       "--format", "json", "--exit-zero", "--no-sandbox"])
    assert result.exit_code == 0, result.output
    commands = runner_commands(result.stdout)
    assert commands[-2:] == ["::notice title=Autograding complete::Points 3/8",
                             '::notice title=Autograding report::{"totalPoints":3,"maxPoints":8}']
    assert all("22" not in command for command in commands)
    assert result.stdout.rstrip().splitlines()[-1].startswith("::notice title=Autograding report::")


# -- the CLI: refusal under CI, --no-sandbox -------------------------------------------------------------
def test_check_under_ci_with_the_private_course_refuses_without_a_sandbox_unless_told(monkeypatch, tmp_path):
    seen = {}

    def fake_grade(*args, **kwargs):
        seen.update(kwargs)
        return _report("ok")

    monkeypatch.setattr(sandbox, "available", lambda: (False, "bubblewrap (bwrap) is not installed"))
    monkeypatch.delenv("GRADER_SANDBOX", raising=False)
    monkeypatch.setenv("CI", "true")
    # the real grade(): it refuses after reading the notebook, before any kernel starts
    monkeypatch.setattr(KernelSession, "start", lambda self: pytest.fail("a kernel was started"))
    sample = REPO / "tests" / "submissions" / "01-rnn-cells-torch-sample.ipynb"
    out = tmp_path / "report.json"
    result = CliRunner().invoke(main, ["check", str(sample), "--format", "json", "--output", str(out)])
    assert result.exit_code == 2 and not out.exists()
    assert len(result.stderr.strip().splitlines()) == 1 and "--no-sandbox" in result.stderr
    # an unusable notebook is still told as such
    path = tmp_path / "sub.ipynb"
    path.write_text("{}")
    result = CliRunner().invoke(main, ["check", str(path), "--format", "json"])
    assert result.exit_code == 2 and "no list of cells" in result.stderr
    monkeypatch.setattr("grader.judging.grading.grade", fake_grade)
    result = CliRunner().invoke(main, ["check", str(path), "--format", "json", "--no-sandbox", "--exit-zero"])
    assert result.exit_code == 0 and seen["use_sandbox"] is False
    # a student's own CI has only the public course: feedback without a sandbox, said so
    seen.clear()
    monkeypatch.setenv("GRADER_PUBLIC_ONLY", "1")
    result = CliRunner().invoke(main, ["check", str(path), "--format", "json", "--exit-zero"])
    assert result.exit_code == 0 and seen["use_sandbox"] is None and "sandbox: none" in result.stderr
    monkeypatch.delenv("GRADER_PUBLIC_ONLY")
    monkeypatch.delenv("CI")
    seen.clear()
    result = CliRunner().invoke(main, ["check", str(path), "--format", "json", "--exit-zero"])
    assert result.exit_code == 0 and seen["use_sandbox"] is None and "sandbox: none" in result.stderr


def test_the_last_resort_ends_a_grading_process_that_overruns():
    import subprocess
    import sys
    import time

    hung = "from grader.judging.grading import _HardStop\nimport time\nstop = _HardStop(0.5)\ntime.sleep(60)\n"
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", hung], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 3 and "did not finish within" in done.stderr and time.monotonic() - started < 30
    # control: a grading that returns in time cancels it and the process goes on
    finished = "from grader.judging.grading import _HardStop\nimport time\nstop = _HardStop(0.5)\nstop.cancel()\ntime.sleep(1.5)\n"
    done = subprocess.run([sys.executable, "-c", finished], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0 and done.stderr == ""


def test_scratches_left_by_a_killed_grader_are_swept_and_live_ones_kept(tmp_path):
    import subprocess
    import sys

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    runs = {}
    for name, owner in (("dead", dead.pid), ("alive", os.getpid()), ("unowned", None)):
        run = tmp_path / f"grader-run-{name}"
        (run / "fs" / "scratch").mkdir(parents=True)
        (run / "fs" / "scratch" / "student.ipynb").write_text("{}")
        if owner is not None:
            (run / sandbox.OWNER_FILE).write_text(str(owner))
        runs[name] = run
    mounts = tmp_path / "mounts"
    mounts.write_text("".join(f"grader-scratch {run}/fs tmpfs rw,nosuid,nodev 0 0\n" for run in runs.values())
                      + f"tmpfs {tmp_path}/other tmpfs rw 0 0\n")
    assert sandbox.sweep_stale_mounts(str(mounts)) == [runs["dead"]]
    assert not runs["dead"].exists() and runs["alive"].exists() and runs["unowned"].exists()


@pytest.mark.skipif(not sandbox.available()[0], reason="bubblewrap cannot start here")
def test_a_python_the_sandbox_cannot_run_is_diagnosed_in_one_line(monkeypatch):
    if not sandbox.python_dirs():
        pytest.skip("the Python environment is part of the system directories: it cannot be hidden")
    box = sandbox.Sandbox(sandbox.BUBBLEWRAP)
    try:
        env = {"HOME": str(box.scratch), "PATH": "/usr/bin:/bin"}
        assert box.diagnose(env) == ""  # the kernel's own command starts its Python
        (box.scratch / "ipykernel_launcher.py").write_text("raise SystemExit('planted')")  # never run: -I
        assert box.diagnose(env) == ""
        monkeypatch.setattr(sandbox, "python_dirs", lambda: [])  # the environment hidden (as /tmp once hid one)
        why = box.diagnose(env)
        assert why.startswith("Python could not start inside the sandbox: ") and "\n" not in why, why
        assert "No such file or directory" in why, why
    finally:
        assert box.cleanup() == []
