"""Running a notebook in a fresh, sandboxed Jupyter kernel and talking to it.

``sandbox`` builds the bubblewrap jail (and ``cleanup`` removes its scratch without following links);
``execute`` owns the kernel session (start, cells under timeouts, restarts, the process family); ``memory``
enforces the memory limit (a cgroup where one is delegated, else polling); ``process_tree`` finds and kills
what the kernel started; ``probing`` sends the grader's calls and reads the answers through descriptors;
``notebook_run`` runs one lab's notebook cell by cell with the lab's limits; ``inside`` is the code that runs
in the kernel (sent as source text, never imported by the grader).

May import: :mod:`grader.errors`, :mod:`grader.course`, :mod:`grader.reports`. Knows nothing of checks.
"""
