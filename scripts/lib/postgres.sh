# shellcheck shell=bash
# A throwaway PostgreSQL cluster for scripts: sourced by scripts/test and scripts/bench-graphql.
#
# Set `script_name` (for messages) and `workdir_prefix` (the temporary directory's name) before
# sourcing. Sourcing creates `$workdir` (removed on exit, with the cluster stopped, whatever the
# outcome; define `cleanup_hook` to run first) and defines `start_postgres`, which runs initdb there and starts the cluster on a free
# port of 127.0.0.1, setting `PG_PORT`. initdb refuses to run as root, so as root the cluster runs
# as the `postgres` user. Also defined: `log`, `die`, `find_pg_bin`, `as_pg`, `free_port`.

: "${script_name:=script}"
: "${workdir_prefix:=pmsgraph}"

log() { printf '%s\n' "$*" >&2; }
die() {
    log "$script_name: error: $*"
    exit 1
}

# --- PostgreSQL binaries -----------------------------------------------------------------------

find_pg_bin() {
    local name=$1 dir
    if command -v "$name" >/dev/null 2>&1; then
        command -v "$name"
        return 0
    fi
    # Debian/Ubuntu keep the server binaries off PATH; take the newest installed major version.
    dir=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -type d -name bin 2>/dev/null | sort -V | tail -n 1)
    if [[ -n "$dir" && -x "$dir/$name" ]]; then
        printf '%s\n' "$dir/$name"
        return 0
    fi
    return 1
}

# --- running as the cluster's owner ------------------------------------------------------------

if [[ $(id -u) -eq 0 ]]; then
    getent passwd postgres >/dev/null || die "running as root needs a 'postgres' user to own the test cluster (apt-get install postgresql creates it)"
fi

# Runs a command as the owner of the test cluster: `postgres` when we are root, else ourselves.
as_pg() {
    if [[ $(id -u) -ne 0 ]]; then
        (cd / && "$@")
    elif command -v runuser >/dev/null 2>&1; then
        (cd / && runuser -u postgres -- "$@")
    else
        (cd / && su -s /bin/bash postgres -c "$(printf '%q ' "$@")")
    fi
}

# --- a free TCP port on 127.0.0.1 --------------------------------------------------------------

free_port() {
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
        return 0
    fi
    local port _
    for _ in $(seq 1 200); do
        port=$((20000 + RANDOM % 30000))
        # Nothing answers a connection there: assume it is free (pg_ctl start retries otherwise).
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            printf '%s\n' "$port"
            return 0
        fi
    done
    return 1
}

# --- the throwaway cluster ---------------------------------------------------------------------

workdir=""
PG_CTL=""

# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    # A sourcing script's own clean-up (its child processes) runs first.
    if declare -F cleanup_hook >/dev/null; then
        cleanup_hook || true
    fi
    if [[ -n "$workdir" && -f "$workdir/data/postmaster.pid" ]]; then
        as_pg "$PG_CTL" -D "$workdir/data" -m immediate -w stop >/dev/null 2>&1 || true
        # Only if pg_ctl could not stop it: kill the postmaster we started, by its pid.
        if [[ -f "$workdir/data/postmaster.pid" ]]; then
            local pid
            pid=$(head -n 1 "$workdir/data/postmaster.pid" 2>/dev/null || true)
            if [[ "$pid" =~ ^[0-9]+$ ]]; then
                kill -9 "$pid" 2>/dev/null || true
            fi
        fi
    fi
    if [[ -n "$workdir" ]]; then
        rm -rf "$workdir"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The temporary directory holds the cluster (data/), its log and socket, and the test output logs.
# As root it is handed to `postgres`, who must be able to reach it: so /tmp rather than $TMPDIR.
if [[ $(id -u) -eq 0 ]]; then
    workdir=$(mktemp -d "/tmp/$workdir_prefix.XXXXXX")
else
    workdir=$(mktemp -d "${TMPDIR:-/tmp}/$workdir_prefix.XXXXXX")
fi

start_postgres() {
    local initdb
    initdb=$(find_pg_bin initdb) || die "initdb not found on PATH or in /usr/lib/postgresql/*/bin; install PostgreSQL (Debian: apt-get install postgresql) or set PMSGRAPH_TEST_DATABASE_URL"
    PG_CTL=$(find_pg_bin pg_ctl) || die "pg_ctl not found on PATH or in /usr/lib/postgresql/*/bin"

    if [[ $(id -u) -eq 0 ]]; then
        chown postgres: "$workdir"
    fi

    if ! as_pg "$initdb" -D "$workdir/data" -A trust -U postgres -E UTF8 --locale=C --no-sync \
        >"$workdir/initdb.out" 2>&1; then
        cat "$workdir/initdb.out" >&2
        die "initdb failed (output above)"
    fi

    local attempt port
    for attempt in 1 2 3 4 5; do
        port=$(free_port) || die "found no free TCP port on 127.0.0.1"
        rm -f "$workdir/log"
        if as_pg "$PG_CTL" -D "$workdir/data" -l "$workdir/log" -w -t 60 \
            -o "-p $port -k $workdir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
            start >"$workdir/pg_ctl.out" 2>&1; then
            PG_PORT=$port
            return 0
        fi
        # Someone took the port between our check and the bind: try another one.
        if [[ $attempt -lt 5 ]] && grep -qiE 'could not bind|address already in use' "$workdir/log" 2>/dev/null; then
            log "$script_name: port $port was taken, retrying"
            continue
        fi
        cat "$workdir/pg_ctl.out" >&2 || true
        log "$script_name: PostgreSQL failed to start; its log follows"
        cat "$workdir/log" >&2 || true
        die "could not start the test PostgreSQL cluster"
    done
}

