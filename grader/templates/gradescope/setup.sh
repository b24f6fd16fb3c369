#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
# It installs Python, bubblewrap (the kernel sandbox) and the grader; the private course stays in
# /autograder/source/private, where run_autograder points the grader.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q python3 python3-venv python3-pip bubblewrap
python3 -m venv /opt/grader
if [ -n "<<torch>>" ]; then
  # the CPU build first, so that the grader's torch extra does not pull a CUDA build
  /opt/grader/bin/python -m pip install --quiet --index-url https://download.pytorch.org/whl/cpu "torch==2.13.0"
fi
/opt/grader/bin/python -m pip install --quiet "<<requirement>>"
/opt/grader/bin/grader --version
