"""The grader's own NumPy implementations that checks compare the student's results with."""
