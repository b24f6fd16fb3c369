"""Where submissions come from and where feedback goes: GitHub and Gradescope.

``github_api`` is a small client of the GitHub REST API; ``provision`` creates the course's repositories from
the roster; ``starter`` writes a student repository (notebook, README, workflow); ``collect`` and
``course_collect`` clone students' submissions at a deadline; ``late_grades`` applies the late policy to
collected pushes; ``github_comment`` and ``feedback`` post reports as comments on the Feedback pull request;
``gradescope_package`` builds a Gradescope autograder and runs inside it. ``templates`` holds the workflow and
README templates.

May import: :mod:`grader.errors`, :mod:`grader.version`, :mod:`grader.course`, :mod:`grader.reports`,
:mod:`grader.kernel`, :mod:`grader.judging`. Never the batch or the CLI.
"""
