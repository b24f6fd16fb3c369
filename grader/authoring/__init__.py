"""Authoring a lab: tools the teaching staff run on their own course, not on students' work.

``validate`` grades the references and every wrong solution and says which checks are weak; ``record``
records the public checks' expectations for students' installs; ``scaffold`` is ``grader new`` (a lab from a
solved notebook); ``mutants`` and ``mutation_operators`` are ``grader mutants`` (mutation analysis of a lab's
checks, graded through the batch engine).

May import: everything below the CLI (:mod:`grader.course`, :mod:`grader.reports`, :mod:`grader.kernel`,
:mod:`grader.judging`, :mod:`grader.platforms`, :mod:`grader.batch`).
"""
