#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (with internet access).
# It installs bubblewrap (the kernel sandbox), a Python >= 3.11 in its own virtual environment and the
# grader; the private course stays in /autograder/source/private, where run_autograder points the grader.
# Base image: any of Gradescope's Ubuntu images. Where the image's python3 is 3.11 or newer (Ubuntu 24.04) it
# is used; where it is older (Ubuntu 22.04, Gradescope's default, ships 3.10) uv installs a Python 3.11 build
# under /opt/python. The image's own python3 is never replaced: Gradescope's harness runs on it.
# GRADER_VENV and GRADER_TOOLS move /opt/grader and /opt/grader-tools (for testing this script).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
venv="${GRADER_VENV:-/opt/grader}"
tools="${GRADER_TOOLS:-/opt/grader-tools}"
apt-get update -q
apt-get install -y -q python3 python3-venv python3-pip bubblewrap
if python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  python3 -m venv "$venv"
else
  echo "setup.sh: the image's python3 is $(python3 -V 2>&1 | cut -d' ' -f2), the grader needs 3.11 or newer: installing Python 3.11 with uv"
  python3 -m venv "$tools"
  "$tools/bin/python" -m pip install --quiet "uv>=0.5,<1"
  export UV_PYTHON_INSTALL_DIR="${UV_PYTHON_INSTALL_DIR:-/opt/python}"
  "$tools/bin/uv" venv --seed --python 3.11 "$venv"
fi
"$venv/bin/python" -c 'import sys; assert sys.version_info >= (3, 11), sys.version'
<<torch_install>>"$venv/bin/python" -m pip install --quiet "<<requirement>>"
"$venv/bin/grader" --version
