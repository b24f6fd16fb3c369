"""The course as data: what a lab is, where its files are, and what the staff decide about it.

``spec`` reads and validates a lab's ``assignment.yaml`` (against ``assignment.schema.json``, which also lists
the check kinds a spec may name); ``labs`` finds the labs of the course; ``paths`` says where the public and
the private course live; ``notebook`` reads notebooks and their ``metadata.grader``; ``release`` makes student
notebooks from the references; ``standin`` the public stand-in for hidden data; ``frameworks`` the two
flavours; ``course_file``, ``late_policy`` and ``roster`` the course file (deadlines, extensions), the late
policy and the class list.

May import: :mod:`grader.errors` only. Nothing here runs a kernel, judges a check or talks to a network.
"""
