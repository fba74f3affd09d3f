#!/usr/bin/env bash
# The GitHub Action's work (action.yml): install reprolint, lint, write the SARIF report, and set
# the step outputs `exit-code` and `sarif-file`. It never fails itself on findings: action.yml
# uploads the report first, then exits with `exit-code`. Runs outside GitHub too (the tests do):
#   INPUT_SRC=. INPUT_ARGS="--select RPL1" INPUT_INSTALL=false GITHUB_OUTPUT=out.txt bash scripts/github_action.sh
set -euo pipefail

action_path="${GITHUB_ACTION_PATH:-$(cd "$(dirname "$0")/.." && pwd)}"
python="${INPUT_PYTHON:-python3}"
output="${GITHUB_OUTPUT:-/dev/null}"
work="${RUNNER_TEMP:-${TMPDIR:-/tmp}}"

if [ "${INPUT_INSTALL:-true}" = "true" ]; then
    if [ -n "${INPUT_VERSION:-}" ]; then
        spec="reprolint-torch==${INPUT_VERSION}"
    else
        spec="${action_path}"
    fi
    venv="${work}/reprolint-action-venv"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$spec"
    reprolint=("$venv/bin/reprolint")
else
    if ! command -v reprolint >/dev/null 2>&1; then
        echo "::error title=reprolint::install: false, but no reprolint on PATH" >&2
        exit 2
    fi
    reprolint=(reprolint)
fi

# Shell-like splitting of the inputs (quotes allowed, nothing expanded or run).
split() { "$python" -c 'import shlex, sys; sys.stdout.write("".join(w + "\0" for w in shlex.split(sys.argv[1])))' "$1"; }
mapfile -d '' src < <(split "${INPUT_SRC:-.}")
mapfile -d '' args < <(split "${INPUT_ARGS:-}")
[ "${#src[@]}" -gt 0 ] || src=(.)

sarif="${work}/reprolint.sarif"
status=0
"${reprolint[@]}" check "${src[@]}" "${args[@]}" --output-format sarif -o "$sarif" || status=$?
# The findings in the log, and as annotations on the pull request (the lint cache makes this cheap).
"${reprolint[@]}" check "${src[@]}" "${args[@]}" --output-format github --exit-zero || true
"${reprolint[@]}" check "${src[@]}" "${args[@]}" --output-format concise --exit-zero || true

{
    echo "exit-code=${status}"
    if [ -s "$sarif" ]; then echo "sarif-file=${sarif}"; else echo "sarif-file="; fi
} >>"$output"
