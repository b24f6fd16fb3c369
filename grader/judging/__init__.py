"""Judging: the checks, the grader's own numerics, and grading one notebook.

``checks`` holds the check kinds (one module per lab's family of checks, registered in ``checks/__init__``):
each plans the calls the kernel makes and judges what comes back; ``numerics`` is the grader's NumPy
implementation of the labs (private course; a public install replays ``recorded`` values instead);
``public_checks`` judges where the private course is absent; ``oracle_inputs`` and ``oracle_runner`` are the
oracle kind's inputs and the reference notebook run as its numerics; ``grading`` is :func:`grader.grade`:
run the notebook (:mod:`grader.kernel.notebook_run`), then judge every check of its lab.

May import: :mod:`grader.errors`, :mod:`grader.course`, :mod:`grader.reports`, :mod:`grader.kernel`.
"""
