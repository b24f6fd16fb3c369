"""Reports: the result of grading one notebook and every way it is written out.

``report`` holds the :class:`~grader.reports.report.Report` model (checks, cells, notes); ``formats`` renders it
(terminal, Markdown, HTML, JSON, JUnit, Gradescope, the Classroom points line), making student text inert;
``plots`` draws the charts of the HTML pages; ``workflow_text`` keeps student text from acting as a GitHub
Actions workflow command.

May import: :mod:`grader.errors`, :mod:`grader.version`, :mod:`grader.course`.
"""
