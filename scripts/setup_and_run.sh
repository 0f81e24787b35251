#!/usr/bin/env bash
# Set up and run Zhihui Workflow from a fresh checkout; the Makefile calls this.
#
#   scripts/setup_and_run.sh install   # .venv + pip install -e '.[test]' (skipped when up to date)
#   scripts/setup_and_run.sh setup     # install + migrate + compilemessages + seed_demo --with-records
#   scripts/setup_and_run.sh run       # setup, then runserver on 127.0.0.1:${PORT:-8000} (the default)
#   scripts/setup_and_run.sh test [pytest args...]   # install + compilemessages + pytest
#
# Environment: PYTHON (default python3, must be >= 3.11), PORT (default 8000), and every
# setting of README.md "Configuration" (DATABASE_URL, DEMO_PASSWORD, ...).
set -euo pipefail

cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV=".venv"
BIN="$VENV/bin"
STAMP="$VENV/.zhihui-installed"
PORT="${PORT:-8000}"

say() { printf '\n==> %s\n' "$*"; }

install() {
    if [ ! -x "$BIN/python" ]; then
        if ! command -v "$PYTHON" >/dev/null 2>&1; then
            echo "error: $PYTHON not found; install Python >= 3.11 (Debian: apt-get install python3)" >&2
            exit 1
        fi
        if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
            echo "error: Python >= 3.11 is required; $PYTHON is $("$PYTHON" -V 2>&1)" >&2
            exit 1
        fi
        say "creating $VENV with $("$PYTHON" -V 2>&1)"
        if ! "$PYTHON" -m venv "$VENV"; then
            echo "error: '$PYTHON -m venv' failed (Debian: apt-get install python3-venv)" >&2
            rm -rf "$VENV"
            exit 1
        fi
        rm -f "$STAMP"
    fi
    # Re-install only when pyproject.toml changed since the last successful install.
    if [ ! -f "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ]; then
        say "installing the project and its test extras: pip install -e '.[test]'"
        "$BIN/pip" install --quiet -e '.[test]'
        touch "$STAMP"
    fi
}

compile_messages() {
    # Compiled .mo files are committed; recompiling needs gettext's msgfmt, so skip without it.
    if ! find . -path "./$VENV" -prune -o -name '*.po' -print | grep -q .; then
        return 0
    fi
    if command -v msgfmt >/dev/null 2>&1; then
        say "compiling translations"
        "$BIN/python" manage.py compilemessages --ignore="$VENV" --verbosity 0
    else
        say "msgfmt not found (Debian: apt-get install gettext); using the committed .mo files"
    fi
}

setup() {
    install
    say "migrating the database"
    "$BIN/python" manage.py migrate --noinput
    compile_messages
    say "seeding the demo data"
    "$BIN/python" manage.py seed_demo --with-records
}

run() {
    setup
    local celery="eager (no broker: tasks run in the web process)"
    [ -n "${CELERY_BROKER_URL:-}" ] && celery="broker $CELERY_BROKER_URL (start a worker: make worker)"
    say "Zhihui Workflow: http://127.0.0.1:$PORT/login/  (Ctrl-C stops it)"
    cat <<EOF
    Log in as any of these demo users, password '${DEMO_PASSWORD:-zhihui-demo}':
      applicant_csf_br1   applicant, 中国水产学会科普工作委员会 (CSF-BR1)
      reviewer_csf        society reviewer, 中国水产学会 (CSF)
      content_csf         content reviewer, CSF
      cast_staff          CAST staff, 中国科协 (CAST)
      content_cast        content reviewer, CAST
      expert_1            expert, CAST
      auditor             auditor, CAST (reads everything, changes nothing)
    Database: ${DATABASE_URL:-db.sqlite3 (SQLite)}; Celery: $celery
EOF
    exec "$BIN/python" manage.py runserver "127.0.0.1:$PORT"
}

run_tests() {
    install
    compile_messages
    say "running the tests: pytest $*"
    local rc=0
    "$BIN/pytest" "$@" || rc=$?
    if [ "$rc" -eq 5 ]; then
        echo "error: pytest collected no tests (exit 5); counted as a failure" >&2
    fi
    return "$rc"
}

command="${1:-run}"
[ "$#" -gt 0 ] && shift
case "$command" in
    install) install ;;
    setup) setup ;;
    run) run ;;
    test) run_tests "$@" ;;
    *)
        echo "usage: $0 [install|setup|run|test [pytest args...]]" >&2
        exit 2
        ;;
esac
