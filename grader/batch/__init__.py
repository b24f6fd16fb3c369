"""Grading a class: one task per submission, each graded by its own ``grader check`` process.

The client (the TA's machine) reads every notebook as bytes, decides its lab, and hands a :class:`Task` to an
engine: :class:`SequentialEngine` here, or the Dask engine (:mod:`grader.batch.dask_engine`) that spreads tasks over
a local or remote cluster. On the machine that runs it, a task writes the notebook into a private temporary
folder, runs ``python -m grader check`` on it in a process group of its own with a deadline, and reads the
JSON report back only if that process exited normally (0 or 1); the report is validated against the lab's
spec before it becomes a row. The result travels back to the client as data (the task's own channel); the
client alone writes ``--out``. Nothing found in ``--out`` is ever read as a grade, except a previous run's
own record of a submission with the same content, lab, seed and grader version (resuming).

The modules, in the order of a batch: ``rows`` (submissions found, the gradebook's row type), ``planning``
(each submission's lab and task, or a row decided without grading), ``task`` (one submission graded on the
machine that runs it), ``engines`` and ``dask_engine`` (who runs the tasks), ``run`` (the batch), ``outputs``
and ``resume`` (what ``--out`` holds), ``class_grading`` (a whole class: checks first, then gradebook files and
the summary), with ``progress``, ``class_summary``, ``gradebook`` and ``regrade`` around them.

May import: everything below it (:mod:`grader.course`, :mod:`grader.reports`, :mod:`grader.kernel`,
:mod:`grader.judging`, :mod:`grader.platforms`), never the CLI: a task runs ``python -m grader check``.
"""
