"""The adversarial suite: every attack of ``tests/adversarial`` against a real sandboxed kernel (slow tier).

Each attack is appended to the lab-01 PyTorch sample (17/22 untampered) and must leave the score at
its control, change nothing outside the scratch directory, and let a report arrive in bounded time.
Where the sandbox is what stops an attack, the same attack is also run with the sandbox off and shown
to succeed there (the cells only touch what the test names, so these controls harm nothing).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

import nbformat
import numpy as np
import psutil
import pytest
from adversarial import (
    SAMPLE_SCORE,
    answer_files,
    attacked,
    daemon,
    endless,
    exchange_race,
    install_poisoning,
    kill_grader,
    neighbour,
    network,
    printed,
    private_files,
    resources,
    restart_import,
    scratch_link,
    secrets_leak,
    workflow_commands,
    write,
)

from grader.course.labs import load_lab
from grader.errors import KernelError
from grader.judging.grading import Grading
from grader.kernel import probing, sandbox
from grader.kernel.execute import KernelSession
from grader.reports.report import Report

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not sandbox.available()[0], reason=f"no sandbox here: {sandbox.available()[1]}")]

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "reference" / "torch" / "01-rnn-cells.ipynb"
BOUND_SECONDS = 240  # every attacked grading below must report within this


@dataclass
class Outcome:
    report: Report
    executed: nbformat.NotebookNode
    seconds: float
    root: Path

    @property
    def score(self) -> float:
        return self.report.score

    @property
    def text(self) -> str:
        return printed(self.executed)


def grade_nb(nb: nbformat.NotebookNode, use_sandbox: bool | None = None,
             sandbox_limits: sandbox.SandboxLimits | None = None, **limits: float) -> Outcome:
    """Grade ``nb`` as lab 01 (PyTorch) as ``grade()`` does, with some limits replaced."""
    lab = load_lab("01-rnn-cells")
    lab = replace(lab, limits=replace(lab.limits, **limits))
    started = time.monotonic()
    with Grading(lab, "torch", seed=5, use_sandbox=use_sandbox, deadline=started + BOUND_SECONDS,
                 sandbox_limits=sandbox_limits) as run:
        events = run.execute(nb)
        report = Report(lab.id, "torch", "attack.ipynb", run.judge(), events, run.seed)
        report.sandbox = run.isolation
        root = run.box.root
    outcome = Outcome(report, run.executed, time.monotonic() - started, root)
    assert outcome.seconds < BOUND_SECONDS
    assert not root.exists(), "the run's directories were not removed"
    assert run.cleanup_problems == []
    return outcome


def environment_fingerprint() -> dict:
    """What an attack on the installed environment would change (the venv's packages, NumPy's modules)."""
    import sysconfig

    import numpy

    purelib = Path(sysconfig.get_paths()["purelib"])
    files = [Path(numpy.__file__), Path(numpy.__file__).parent / "linalg" / "__init__.py"]
    return {"names": sorted(p.name for p in purelib.iterdir()),
            **{str(f): hashlib.sha256(f.read_bytes()).hexdigest() for f in files}}


@pytest.fixture(scope="module")
def control() -> Outcome:
    outcome = grade_nb(attacked("x = 1"))
    assert outcome.score == SAMPLE_SCORE and outcome.report.sandbox == sandbox.BUBBLEWRAP
    return outcome


@pytest.fixture()
def unchanged():
    before = environment_fingerprint()
    yield
    assert environment_fingerprint() == before


def _alive(marker: str) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cmdline"]):
        try:
            if any(marker in part for part in process.info["cmdline"] or []):
                found.append(process)
        except psutil.Error:
            pass
    return found


def _kill(processes: list[psutil.Process]) -> None:
    for process in processes:
        try:
            process.kill()
        except psutil.Error:
            pass


def _solution_cell(name: str) -> str:
    nb = json.loads(REFERENCE.read_text())
    return next("".join(c["source"]) for c in nb["cells"]
                if c["cell_type"] == "code" and "".join(c["source"]).lstrip().startswith(f"def {name}("))


def _check_cli(nb_path: Path, out: Path, *extra: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}
    env.pop("CI", None)
    return subprocess.run([sys.executable, "-m", "grader", "check", str(nb_path), "--format", "json",
                           "--output", str(out), "-q", *extra],
                          capture_output=True, text=True, timeout=BOUND_SECONDS, env=env, check=False)


# -- reading the private course ----------------------------------------------------------------------------
def test_a_walk_of_the_whole_file_system_finds_nothing_private(control, unchanged):
    outcome = grade_nb(attacked(private_files.cell(["/"])))
    assert outcome.score == control.score
    found = json.loads(outcome.text.split("FOUND ", 1)[1].splitlines()[0])
    assert found == {"reference": [], "hidden": [], "numerics": []}
    # control: without the sandbox the same cell finds the course next to it and scores full marks
    bare = grade_nb(attacked(private_files.cell([str(ROOT.parent)])), use_sandbox=False)
    assert bare.score > control.score and str(REFERENCE) in bare.text


# -- writing to the installed environment ------------------------------------------------------------------
def test_the_installed_environment_is_read_only(control, unchanged):
    marker = f"attack{secrets.token_hex(4)}"
    outcome = grade_nb(attacked(install_poisoning.cell(marker)))
    assert outcome.score == control.score and "WRITABLE []" in outcome.text
    # control: the unsandboxed kernel can write there (the marker .pth is a comment; it is removed at once)
    import sysconfig

    planted = Path(sysconfig.get_paths()["purelib"]) / f"zz_{marker}.pth"
    if not os.access(planted.parent, os.W_OK):
        return  # a grader's user that cannot write its environment either (the suite run unprivileged): no control
    try:
        bare = grade_nb(attacked(install_poisoning.cell(marker)), use_sandbox=False)
        assert planted.exists() and "'pth'" in bare.text
    finally:
        planted.unlink(missing_ok=True)


def test_a_python_environment_installed_under_tmp_is_visible_and_read_only(control, monkeypatch, tmp_path):
    # a checkout cloned into /tmp with its virtual environment inside: the kernel's own /tmp must not hide it
    env = tmp_path / "venv"
    env.mkdir()
    (env / "MARKER").write_text("present")
    for path in (tmp_path, env):
        path.chmod(0o755)
    (env / "MARKER").chmod(0o644)
    assert str(env).startswith("/tmp/")
    dirs = sandbox.python_dirs()
    monkeypatch.setattr(sandbox, "python_dirs", lambda: [*dirs, env])
    cell = (f"import pathlib\np = pathlib.Path({str(env / 'MARKER')!r})\n"
            "print('READ', p.read_text() if p.exists() else 'missing')\n"
            "try:\n    (p.parent / 'planted').write_text('x'); print('WROTE')\n"
            "except OSError as exc:\n    print('REFUSED', type(exc).__name__)")
    outcome = grade_nb(attacked(cell))
    assert outcome.score == control.score
    assert "READ present" in outcome.text and "REFUSED" in outcome.text, outcome.text
    assert not (env / "planted").exists()


def test_a_kernel_that_cannot_start_in_the_sandbox_says_why(monkeypatch):
    if not sandbox.python_dirs():
        pytest.skip("the Python environment is part of the system directories: it cannot be hidden")
    assert sandbox.available()[0]  # the machine's probe passed (and is remembered); the kernel's mounts then fail
    monkeypatch.setattr(sandbox, "python_dirs", lambda: [])
    with pytest.raises(KernelError, match=r"could not start a Jupyter kernel: .* \(Python could not start inside "
                                          r"the sandbox: .*No such file or directory\)"):
        grade_nb(attacked("x = 1"))


# -- credentials -----------------------------------------------------------------------------------------
def test_no_credential_reaches_the_kernel(control, unchanged, tmp_path):
    prefix = "ghsattack"
    token = prefix + secrets.token_hex(12)
    home = tmp_path / "home"
    home.mkdir()
    (home / ".git-credentials").write_text(f"https://x-access-token:{token}@github.com\n")
    nb = write(attacked(secrets_leak.cell(prefix, [str(home)])), tmp_path / "attack.ipynb")
    out, executed = tmp_path / "report.json", tmp_path / "executed.ipynb"
    env = {"GITHUB_TOKEN": token, "GRADER_REPO_TOKEN": token, "HOME": str(home)}
    done = _check_cli(nb, out, "--executed", str(executed), env=env)
    assert done.returncode == 1, done.stderr
    assert json.loads(out.read_text())["score"] == control.score
    assert "LEAKED []" in executed.read_text() and token not in executed.read_text() + out.read_text()
    # control: unsandboxed, the grader's /proc/PID/environ and the home directory give the token away
    done = _check_cli(nb, out, "--executed", str(executed), "--no-sandbox", env=env)
    assert token in executed.read_text()


# -- the network -------------------------------------------------------------------------------------------
def test_the_kernel_has_no_network(control, unchanged):
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    solution = _solution_cell("lstm_step").encode()
    served = []

    def serve() -> None:
        server.settimeout(120)
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.sendall(solution)
            served.append(1)

    threading.Thread(target=serve, daemon=True).start()
    try:
        outcome = grade_nb(attacked(network.cell(port)))
        assert outcome.score == control.score and "no network" in outcome.text and not served
        bare = grade_nb(attacked(network.cell(port)), use_sandbox=False)  # control: the solution comes in
        assert served and bare.score > control.score
    finally:
        server.close()


# -- processes that outlive grading, signals to the grader ------------------------------------------------
def test_a_detached_daemon_dies_with_the_kernel_and_cannot_rewrite_the_report(control, unchanged, tmp_path):
    marker = f"daemon{secrets.token_hex(4)}"
    out = tmp_path / f"report-{marker}.json"
    nb = write(attacked(daemon.cell(marker, str(out))), tmp_path / "attack.ipynb")
    done = _check_cli(nb, out)
    assert done.returncode == 1, done.stderr
    time.sleep(1.5)
    report = json.loads(out.read_text())
    assert report["score"] == control.score and report["sandbox"] == "bubblewrap" and "forged" not in report
    assert _alive(marker) == []
    # control: without the sandbox the daemon survives the grader and rewrites its report
    try:
        done = _check_cli(nb, out, "--no-sandbox")
        time.sleep(1.0)
        assert _alive(marker) and json.loads(out.read_text()).get("forged") is True
    finally:
        _kill(_alive(marker))


def test_the_kernel_cannot_write_the_outputs_or_stop_and_kill_the_grader(control, unchanged, tmp_path):
    marker = f"victim{secrets.token_hex(4)}"
    out = tmp_path / f"report-{marker}.json"
    nb = write(attacked(kill_grader.cell(marker, str(out))), tmp_path / "attack.ipynb")
    executed = tmp_path / "executed.ipynb"
    started = time.monotonic()
    done = _check_cli(nb, out, "--executed", str(executed))
    assert done.returncode == 1 and time.monotonic() - started < BOUND_SECONDS
    report = json.loads(out.read_text())
    assert report["score"] == control.score and "forged" not in report
    text = executed.read_text()
    assert "could not write the report" in text and "SIGNALLED []" in text  # it found no grader to signal
    # control: unsandboxed, the kernel finds the grader among its ancestors, writes the report and kills it
    done = _check_cli(nb, out, "--no-sandbox")
    assert done.returncode == -signal.SIGKILL and json.loads(out.read_text()).get("forged") is True


# -- the scratch directory ---------------------------------------------------------------------------------
@pytest.mark.parametrize("use_sandbox", [None, False])
def test_a_scratch_replaced_by_a_link_is_cleaned_up_without_following_it(control, unchanged, tmp_path, use_sandbox):
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / "keep.txt").write_text("keep")
    outcome = grade_nb(attacked(scratch_link.cell(str(target))), use_sandbox=use_sandbox)
    assert outcome.score == control.score
    assert (target / "keep.txt").read_text() == "keep" and sorted(p.name for p in target.iterdir()) == ["keep.txt"]
    assert ("REPLACED" in outcome.text) == (use_sandbox is False)  # the sandbox's scratch is a mount point


# -- links raced into the grader's directories -------------------------------------------------------------
RACE_WINDOW = 0.1  # seconds the grader is held before each input file it writes: the race is always won in time


class _PathExchange:
    """The probe exchange as the grader made it before: one directory handed to the kernel, then written and
    chmodded by path (the control: the defence undone)."""

    def __init__(self, box: sandbox.Sandbox) -> None:
        import tempfile

        self.inputs = self.answers = Path(tempfile.mkdtemp(prefix="probe-", dir=box.answers))
        os.chmod(self.inputs, 0o755)
        if box.uid is not None:
            os.chown(self.inputs, box.uid, box.uid)

    def write(self, name: str, data: bytes) -> None:
        time.sleep(RACE_WINDOW)
        (self.inputs / name).write_bytes(data)
        os.chmod(self.inputs / name, 0o644)

    def write_arrays(self, name: str, arrays: dict) -> None:
        time.sleep(RACE_WINDOW)
        np.savez(self.inputs / name, **arrays)
        os.chmod(self.inputs / name, 0o644)

    def hand_over(self) -> None:
        pass

    def has(self, name: str) -> bool:
        return os.path.lexists(self.answers / name)

    def read_response(self, ids: list[str]) -> dict:
        return probing.read_response(self.answers / "response.json", self.answers / "outputs.npz", ids)

    def paths(self) -> dict[str, Path]:
        return {key: self.inputs / name for key, name in (("request", "request.json"), ("inputs", "inputs.npz"),
                                                          ("response", "response.json"), ("outputs", "outputs.npz"))}

    def close(self) -> None:
        sandbox.remove_tree(self.inputs)


def _victim(tmp_path: Path) -> tuple[Path, bytes]:
    victim = tmp_path / "victim" / "grader-owned.txt"
    victim.parent.mkdir()
    victim.write_bytes(b"a file of the grader's, mode 0600\n")
    victim.chmod(0o600)
    return victim, victim.read_bytes()


def test_links_raced_into_the_exchange_change_no_file_of_the_grader(control, unchanged, tmp_path, monkeypatch):
    victim, content = _victim(tmp_path)
    # the helper gets as long as it wants before each input file is written (as on a loaded machine)
    real_write = probing.Exchange.write

    def slow_write(exchange: probing.Exchange, name: str, data: bytes) -> None:
        time.sleep(RACE_WINDOW)
        real_write(exchange, name, data)

    monkeypatch.setattr(probing.Exchange, "write", slow_write)
    outcome = grade_nb(attacked(exchange_race.cell(str(victim))))
    assert "RACING" in outcome.text
    assert victim.read_bytes() == content and victim.stat().st_mode & 0o777 == 0o600
    assert outcome.score == control.score
    # control: the exchange as it was (a directory handed to the kernel, written and chmodded by path): the
    # helper's links make the grader overwrite the file and open it to everyone
    monkeypatch.setattr(KernelSession, "new_exchange", lambda session: _PathExchange(session.sandbox))
    grade_nb(attacked(exchange_race.cell(str(victim))))
    assert victim.read_bytes() != content and victim.stat().st_mode & 0o777 == 0o644


# -- a restarted kernel ---------------------------------------------------------------------------------------
def test_a_restarted_kernel_imports_nothing_the_notebook_planted(control, unchanged, monkeypatch):
    nb = attacked(restart_import.plant(), restart_import.report())
    outcome = grade_nb(nb)
    assert outcome.score == control.score
    assert [cell.status for cell in outcome.report.cells] == ["kernel-died"]
    assert "MARKERS []" in outcome.text, outcome.text
    # the student's own modules still import from the working directory, as in Jupyter
    helper = attacked("open('helper_module.py', 'w').write('VALUE = 41')",
                      "import importlib, os, sys\nimportlib.invalidate_caches()  # a file younger than the last import\n"
                      "print(sys.path, os.getcwd(), os.listdir())\n"
                      "import helper_module\nprint('IMPORTED', helper_module.VALUE + 1, sys.path.index(''))")
    text = grade_nb(helper).text
    assert "IMPORTED 42" in text, text[-1500:]
    # control: the kernel command as it was (python -m puts the working directory first on sys.path): the
    # planted ipykernel_launcher runs and the restart fails, a grader error instead of a grade
    monkeypatch.setattr(sandbox, "KERNEL_COMMAND", ["-m", "ipykernel_launcher", "-f", "{connection_file}"])
    with pytest.raises(KernelError, match="could not start a Jupyter kernel"):
        grade_nb(nb)


def test_a_restarted_kernel_runs_no_ipython_start_up_file_the_notebook_planted(control, unchanged, monkeypatch):
    nb = attacked(restart_import.plant(crash_on_import=False), restart_import.report())
    outcome = grade_nb(nb)
    assert outcome.score == control.score and "MARKERS []" in outcome.text, outcome.text
    # control: IPython's directory in the scratch, as it was: the planted start-up file and configuration run
    real_argv = sandbox.Sandbox.argv

    def scratch_ipython_dir(box, env, python=None, inner=None):
        argv = real_argv(box, env, python, inner)
        argv[argv.index("IPYTHONDIR") + 1] = env["IPYTHONDIR"]
        return argv

    monkeypatch.setattr(sandbox.Sandbox, "argv", scratch_ipython_dir)
    outcome = grade_nb(nb)
    assert "'startup'" in outcome.text and "'config'" in outcome.text, outcome.text


# -- resources ---------------------------------------------------------------------------------------------
def test_memory_held_by_a_detached_process_is_within_the_watch(control, unchanged, tmp_path):
    marker = f"hog{secrets.token_hex(4)}"
    pidfile = tmp_path / "hog.pid"
    outcome = grade_nb(attacked(resources.detached_memory(marker, 1200, str(pidfile))), memory_mb=600)
    assert outcome.score == control.score
    assert [cell.status for cell in outcome.report.cells] == ["memory"]
    assert _alive(marker) == []
    # control: unsandboxed, the detached process is not the kernel's descendant and keeps its memory
    try:
        bare = grade_nb(attacked(resources.detached_memory(marker, 1200, str(pidfile))), use_sandbox=False,
                        memory_mb=600)
        hog = psutil.Process(int(pidfile.read_text()))
        assert bare.report.cells == [] and hog.is_running() and hog.memory_info().rss > 600 * 1024 * 1024
    finally:
        _kill(_alive(marker))


ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="RLIMIT_NPROC and the tmpfs scratch need the grader to be root")


@ROOT_ONLY
def test_the_number_of_processes_is_limited(control, unchanged):
    limits = sandbox.SandboxLimits(processes=64)
    outcome = grade_nb(attacked(resources.many_processes(200)), sandbox_limits=limits)
    assert outcome.score == control.score
    started = int(outcome.text.split("STARTED ", 1)[1].split()[0])
    assert started < 64
    bare = grade_nb(attacked(resources.many_processes(200)), use_sandbox=False)  # control
    assert "STARTED 200" in bare.text


@ROOT_ONLY
def test_file_size_and_scratch_size_are_limited(control, unchanged):
    limits = sandbox.SandboxLimits(file_mb=32, scratch_mb=64)
    outcome = grade_nb(attacked(resources.huge_file(48)), sandbox_limits=limits)
    assert outcome.score == control.score and int(outcome.text.split("WRITTEN_MB ")[1].split()[0]) <= 32
    outcome = grade_nb(attacked(resources.huge_file(28, files=4)), sandbox_limits=limits)
    assert outcome.score == control.score and int(outcome.text.split("WRITTEN_MB ")[1].split()[0]) <= 64
    bare = grade_nb(attacked(resources.huge_file(48)), use_sandbox=False)  # control
    assert "WRITTEN_MB 48" in bare.text


def test_a_flood_of_output_is_capped(control, unchanged, tmp_path):
    from grader.judging.grading import grade

    nb = write(attacked(resources.output_flood(24)), tmp_path / "attack.ipynb")
    executed = tmp_path / "executed.ipynb"
    report = grade(nb, seed=5, executed_path=executed)
    assert report.score == control.score and any("was cut" in note for note in report.notes)
    assert executed.stat().st_size < 4 * 1024 * 1024 and "were not kept" in executed.read_text()


def test_one_output_message_too_large_to_read_costs_only_a_restart(control, unchanged):
    outcome = grade_nb(attacked(resources.output_message(100), before=True))
    assert outcome.score == control.score and outcome.seconds < 120
    assert [(cell.index, cell.status) for cell in outcome.report.cells] == [(0, "timeout")]
    assert "output channel" in outcome.report.cells[0].message


def test_an_answer_file_that_inflates_is_refused_and_the_grader_stays_small(control, unchanged, tmp_path):
    nb = write(attacked(answer_files.cell(512)), tmp_path / "attack.ipynb")
    out = tmp_path / "report.json"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    process = psutil.Popen([sys.executable, "-m", "grader", "check", str(nb), "--format", "json", "--output", str(out),
                            "-q"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    while process.poll() is None:
        try:
            peak = max(peak, process.memory_info().rss)
        except psutil.Error:
            pass
        time.sleep(0.05)
    report = json.loads(out.read_text())
    assert report["score"] <= control.score
    assert any("could not read the values back" in check["message"] for check in report["checks"])
    assert peak < 400 * 1024 * 1024  # the bomb inflates to 512 MiB per answer


def test_an_endless_function_costs_only_its_checks(control, unchanged):
    outcome = grade_nb(attacked(endless.cell()), probe_timeout=5)
    assert outcome.seconds < 150
    by_id = {check.id: check for check in outcome.report.checks}
    assert by_id["rnn-step"].status in ("error", "failed") and "limit" in by_id["rnn-step"].message
    assert by_id["gru-step"].passed == {c.id: c for c in control.report.checks}["gru-step"].passed
    assert outcome.score <= control.score


def test_a_kernel_that_stops_itself_is_replaced(control, unchanged):
    nb = attacked("import os, signal\nos.kill(os.getpid(), signal.SIGSTOP)", before=True)
    outcome = grade_nb(nb, cell_timeout=5)
    assert outcome.score == control.score and outcome.seconds < 90
    assert outcome.report.cells[0].status == "timeout" and "restarted" in outcome.report.cells[0].message


def test_the_overall_deadline_holds_whatever_the_kernel_does(unchanged):
    lab = load_lab("01-rnn-cells")
    nb = attacked("import time\nwhile True:\n    try:\n        time.sleep(1000)\n    except KeyboardInterrupt:\n"
                  "        pass", before=True)
    started = time.monotonic()
    with Grading(lab, "torch", seed=5, deadline=started + 20) as run:
        events = run.execute(nb)
        checks = run.judge()
    assert time.monotonic() - started < 60
    assert events[0].status == "timeout" and all(check.score == 0 for check in checks)
    assert run.session is None and not run.box.root.exists()



def test_a_grading_started_ahead_has_its_overall_deadline_counted_from_its_turn(unchanged, tmp_path):
    """``grader batch --sequential`` starts a grading ahead; the deadline is set at its turn. Waiting longer than
    the deadline does not use it up (the notebook still runs), and the deadline still ends a notebook that
    ignores every interrupt: with no deadline set at the turn, only the cell's own 120 s would."""
    from grader.judging.grading import grade

    nb = attacked("import time\nwhile True:\n    try:\n        time.sleep(1000)\n    except KeyboardInterrupt:\n"
                  "        pass", before=True)
    path = write(nb, tmp_path / "endless.ipynb")
    turns: list[float] = []

    def turn() -> None:  # the batch says go 12 s after the kernel is ready
        time.sleep(12)
        turns.append(time.monotonic())

    report = grade(path, lab="01-rnn-cells", framework="torch", seed=5, total_timeout=10, cell_timeout=120,
                   notebook_timeout=300, started_ahead=turn)
    after_turn = time.monotonic() - turns[0]
    assert report.cells[0].status == "timeout" and "overall deadline" in report.cells[0].message, report.cells
    assert after_turn < 60
    assert all(check.score == 0 for check in report.checks)


# -- GitHub Actions: forged workflow commands --------------------------------------------------------------
def test_forged_workflow_commands_never_reach_the_runner(control, tmp_path):
    from test_sandbox import runner_commands

    nb = write(attacked(workflow_commands.cell()), tmp_path / "attack.ipynb")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(tmp_path / "o"),
           "GITHUB_STEP_SUMMARY": str(tmp_path / "s")}
    env.pop("CI", None)
    done = subprocess.run([sys.executable, "-m", "grader", "check", str(nb), "--format", "terminal", "--format",
                           "classroom", "--seed", "5"], capture_output=True, text=True, env=env,
                          timeout=BOUND_SECONDS, check=False)
    assert done.returncode == 1, done.stderr
    commands = runner_commands(done.stdout) + runner_commands(done.stderr)
    points = [command for command in commands if "Autograding" in command]
    assert points == [f"::notice title=Autograding complete::Points {control.score:g}/22",
                      f'::notice title=Autograding report::{{"totalPoints":{control.score:g},"maxPoints":22}}']
    assert done.stdout.rstrip().splitlines()[-1] == points[-1]
    assert "Points 22/22" in done.stdout  # the student's text is still shown, fenced


# -- grader batch: an attacker graded just before its victim ------------------------------------------------
def test_an_attacker_graded_before_its_victim_cannot_touch_it(control, unchanged, tmp_path):
    victim = f"victim-{secrets.token_hex(4)}.ipynb"
    submissions = tmp_path / "class"
    submissions.mkdir()
    write(attacked(neighbour.cell(victim)), submissions / "a-attacker.ipynb")
    write(attacked("x = 1"), submissions / victim)

    def batch(*extra: str) -> dict[str, str]:
        out = tmp_path / f"out{len(extra)}"
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        env.pop("CI", None)
        subprocess.run([sys.executable, "-m", "grader", "batch", str(submissions), "--lab", "01-rnn-cells",
                        "--sequential", "--seed", "5", "--out", str(out), *extra],
                       capture_output=True, text=True, env=env, timeout=2 * BOUND_SECONDS, check=False)
        with (out / "grades.csv").open() as handle:
            return {row["submission"]: row["score"] for row in csv.DictReader(handle)}

    try:
        scores = batch()
        assert float(scores["a-attacker"]) == control.score
        assert float(scores[victim.removesuffix(".ipynb")]) == control.score
        assert _alive(f"neighbour-{victim}") == []
        # control: without the sandbox the daemon survives the attacker's grading and breaks the victim's
        scores = batch("--no-sandbox")
        assert _alive(f"neighbour-{victim}")
        assert float(scores[victim.removesuffix(".ipynb")] or 0) < control.score
    finally:
        _kill(_alive(f"neighbour-{victim}"))


# -- what a legitimate notebook may do keeps working -------------------------------------------------------
def test_multiprocessing_dataloader_workers_and_tmp_work_in_the_sandbox(control):
    cell = ("import multiprocessing, torch\nfrom torch.utils.data import DataLoader, TensorDataset\n"
            "lock = multiprocessing.Lock()\n"
            "loader = DataLoader(TensorDataset(torch.arange(10.)), batch_size=2, num_workers=2)\n"
            "print('TOTAL', sum(float(batch[0].sum()) for batch in loader))\n"
            "torch.save(torch.ones(3), '/tmp/checkpoint.pt')\n"
            "print('LOADED', float(torch.load('/tmp/checkpoint.pt').sum()))")
    outcome = grade_nb(attacked(cell))
    assert outcome.score == control.score and outcome.report.cells == [], outcome.report.cells
    assert "TOTAL 45.0" in outcome.text and "LOADED 3.0" in outcome.text
