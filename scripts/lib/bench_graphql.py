"""The GraphQL read benchmark's driver (run by scripts/bench-graphql, which builds, installs the
tools and starts the throwaway PostgreSQL).

For each database (SQLite, PostgreSQL): start `pmsgraph serve` on a fresh data directory, whose
first run connects a demo customer to the built-in sandbox and syncs it; then for each query set
measure the saturation throughput (oha, as many requests as it can for a while) and the latency at
a fixed rate of half of it (`oha -q`), with the response cache on and off. On PostgreSQL also
start PostGraphile 4 over the very same tables and measure equivalent queries (same rows, same
fields, the same tenant filter). Every query's answer is checked for errors, and the rows each
system returns are compared, before it is measured; during a measurement every response must be
HTTP 200. The server runs on one core and the load generator on the other (taskset).

Standard library only.
"""

import argparse
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

# --- the query sets -----------------------------------------------------------------------------

PMSGRAPH = {
    "a": (
        "50 residents with lease, unit, property",
        """query($i: ID!) { residents(first: 50, filter: { integrationId: $i }) { nodes {
          id firstName lastName email
          leases { role status lease { id status startDate endDate unit { id number property { id name } } } }
        } } }""",
    ),
    "b": (
        "a property's 100 units with current leases",
        """query($p: ID!) { node(id: $p) { ... on Property { units(first: 100) { nodes {
          id number occupancy leases(status: [CURRENT]) { id status startDate endDate rent }
        } } } } }""",
    ),
    "c": ("20 unit lookups by id", None),
    "d": (
        "a filtered lease search",
        """query($i: ID!) { leases(first: 50, filter: { integrationId: $i, status: [NOTICE] }) {
          totalCount nodes { id status moveInDate moveOutDate unit { number } }
        } }""",
    ),
}

POSTGRAPHILE = {
    "a": """query($i: UUID!) { allResidents(first: 50, orderBy: ID_ASC, condition: { integrationId: $i, remoteDeletedAt: null }) { nodes {
          id firstName lastName email
          leaseResidentsByResidentId(orderBy: ID_ASC, condition: { remoteDeletedAt: null }) { nodes { role status
            leaseByLeaseId { id status startDate endDate unitByUnitId { id number propertyByPropertyId { id name } } } } }
        } } }""",
    "b": """query($p: UUID!, $i: UUID!) { allUnits(first: 100, orderBy: ID_ASC, condition: { propertyId: $p, integrationId: $i, remoteDeletedAt: null }) { nodes {
          id number occupancy
          leasesByUnitId(orderBy: ID_ASC, condition: { status: "CURRENT", remoteDeletedAt: null }) { nodes { id status startDate endDate rentCents } }
        } } }""",
    "d": """query($i: UUID!) { allLeases(first: 50, orderBy: ID_ASC, condition: { integrationId: $i, status: "NOTICE", remoteDeletedAt: null }) {
          totalCount nodes { id status moveInDate moveOutDate unitByUnitId { number } }
        } }""",
}


def lookups_pmsgraph(unit_ids):
    fields = "... on Unit { id number bedrooms property { id name } }"
    return "{ " + " ".join(f'u{n}: node(id: "{gid}") {{ {fields} }}' for n, gid in enumerate(unit_ids)) + " }"


def lookups_postgraphile(unit_uuids, integration):
    fields = "nodes { id number bedrooms propertyByPropertyId { id name } }"
    parts = [
        f'u{n}: allUnits(condition: {{ id: "{uid}", integrationId: "{integration}" }}) {{ {fields} }}'
        for n, uid in enumerate(unit_uuids)
    ]
    return "{ " + " ".join(parts) + " }"


# --- helpers ------------------------------------------------------------------------------------


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def post(url, body, token=None, timeout=60):
    data = json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"content-type": "application/json"})
    if token:
        request.add_header("authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        # GraphQL servers answer bad queries with 400 and the errors in the body.
        return json.loads(error.read() or b"{}")


def checked(url, body, token=None):
    answer = post(url, body, token)
    if answer.get("errors"):
        raise SystemExit(f"bench: errors from {url}: {json.dumps(answer['errors'])[:2000]}")
    return answer["data"]


def uuid_of(global_id):
    text = base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode()
    return text.split(":", 1)[1]


def rows(value):
    """How many objects with an `id` (or unit `number`) an answer holds, and its total counts: what
    two systems must agree on for their answers to be the same rows."""
    if isinstance(value, dict):
        own = 1 if ("id" in value or set(value) == {"number"}) else 0
        total = [v for k, v in value.items() if k == "totalCount"]
        count = own
        for v in value.values():
            count += rows(v)[0]
        return count, total + [t for v in value.values() for t in rows(v)[1]]
    if isinstance(value, list):
        counts = [rows(v) for v in value]
        return sum(c for c, _ in counts), [t for _, ts in counts for t in ts]
    return 0, []


def pinned(core, command):
    if shutil.which("taskset") and (os.cpu_count() or 1) >= 2:
        return ["taskset", "-c", str(core)] + command
    return command


def rss_mb(pid):
    """The process's peak resident set (VmHWM), in MB."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


class Server:
    """A child process, stopped on exit."""

    def __init__(self, name, command, env, url, workdir):
        self.name, self.url = name, url
        self.out = open(os.path.join(workdir, f"{name}.out"), "w+")
        self.process = subprocess.Popen(command, env=env, stdout=self.out, stderr=subprocess.STDOUT)

    def wait_ready(self, path, seconds=120):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if self.process.poll() is not None:
                self.out.seek(0)
                raise SystemExit(f"bench: {self.name} exited:\n{self.out.read()[-4000:]}")
            try:
                urllib.request.urlopen(self.url + path, timeout=2)
                return
            except urllib.error.HTTPError:
                return
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"bench: {self.name} did not start")

    def output(self):
        self.out.flush()
        with open(self.out.name) as out:
            return out.read()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()


def oha(oha_bin, url, body, token, seconds, connections, rate=None):
    """Runs oha against `url` with this JSON body; (requests/s, p50 ms, p99 ms, non-200 count)."""
    body_file = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
    json.dump(body, body_file)
    body_file.close()
    command = [oha_bin, "-z", f"{seconds}s", "-c", str(connections), "-m", "POST", "-D", body_file.name,
               "-H", "content-type: application/json", "--no-tui", "--output-format", "json"]
    if token:
        command += ["-H", f"authorization: Bearer {token}"]
    if rate:
        command += ["-q", str(rate)]
    command.append(url)
    result = subprocess.run(pinned(1, command), capture_output=True, text=True, check=False)
    os.unlink(body_file.name)
    if result.returncode != 0:
        raise SystemExit(f"bench: oha failed: {result.stderr[-2000:]}")
    report = json.loads(result.stdout)
    summary = report["summary"]
    percentiles = report.get("latencyPercentiles", {})
    statuses = report.get("statusCodeDistribution", {})
    # Requests still in flight when the run's time is up are cut off ("aborted due to deadline"):
    # not failures of the server.
    errors = {e: n for e, n in report.get("errorDistribution", {}).items() if "deadline" not in e}
    bad = sum(n for code, n in statuses.items() if code != "200") + sum(errors.values())
    if bad:
        log(f"  failures: statuses {statuses}, errors {errors}")
    return (
        summary.get("requestsPerSec") or 0.0,
        (percentiles.get("p50") or 0.0) * 1000,
        (percentiles.get("p99") or 0.0) * 1000,
        bad,
    )


def measure(oha_bin, url, bodies, token, seconds, connections):
    """Saturation, then half of it at a fixed rate, for every query set."""
    figures = {}
    for key, body in bodies.items():
        saturation, _, _, bad = oha(oha_bin, url, body, token, seconds, connections)
        if bad:
            raise SystemExit(f"bench: {bad} failed requests at saturation ({key}, {url})")
        rate = max(1, int(saturation / 2))
        _, p50, p99, bad = oha(oha_bin, url, body, token, seconds, connections, rate=rate)
        if bad:
            raise SystemExit(f"bench: {bad} failed requests at {rate} req/s ({key}, {url})")
        figures[key] = (saturation, rate, p50, p99)
        log(f"  {key}: {saturation:8.0f} req/s at saturation; at {rate} req/s p50 {p50:.2f} ms, p99 {p99:.2f} ms")
    return figures


# --- the runs -----------------------------------------------------------------------------------


def start_pmsgraph(args, name, data_dir, database_url, cache, workdir):
    port = free_port()
    command = [args.bin, "serve", "--bind", f"127.0.0.1:{port}", "--sandbox-size", args.size, "--no-rate-limit"]
    if not cache:
        command.append("--no-cache")
    env = dict(os.environ, PMSGRAPH_DATA_DIR=data_dir, PMSGRAPH_LOG="warn")
    if database_url:
        env["PMSGRAPH_DATABASE_URL"] = database_url
    server = Server(name, pinned(0, command), env, f"http://127.0.0.1:{port}", workdir)
    server.wait_ready("/healthz")
    return server


def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_sync(server, token, timeout):
    query = "{ customers(first: 1) { nodes { integrations { id syncJobs(last: 1) { nodes { status counts { created } } } } } } }"
    started = time.time()
    while time.time() - started < timeout:
        data = checked(server.url + "/graphql", {"query": query}, token)
        integration = data["customers"]["nodes"][0]["integrations"][0]
        jobs = integration["syncJobs"]["nodes"]
        if jobs and jobs[0]["status"] not in ("QUEUED", "RUNNING"):
            if jobs[0]["status"] != "SUCCESS":
                raise SystemExit(f"bench: the sync ended {jobs[0]['status']}")
            return integration["id"], jobs[0]["counts"]["created"], time.time() - started
        time.sleep(1)
    raise SystemExit("bench: the sync did not finish in time")


def pmsgraph_bodies(server, token, integration):
    graphql = server.url + "/graphql"
    data = checked(graphql, {"query": "query($i: ID!) { properties(first: 1, filter: { integrationId: $i }) { nodes { id units(first: 20) { nodes { id } } } } }", "variables": {"i": integration}}, token)
    prop = data["properties"]["nodes"][0]
    units = [u["id"] for u in prop["units"]["nodes"]]
    bodies = {
        "a": {"query": PMSGRAPH["a"][1], "variables": {"i": integration}},
        "b": {"query": PMSGRAPH["b"][1], "variables": {"p": prop["id"]}},
        "c": {"query": lookups_pmsgraph(units)},
        "d": {"query": PMSGRAPH["d"][1], "variables": {"i": integration}},
    }
    ids = {"integration": uuid_of(integration), "property": uuid_of(prop["id"]), "units": [uuid_of(u) for u in units]}
    return bodies, ids


def postgraphile_bodies(ids):
    i = ids["integration"]
    return {
        "a": {"query": POSTGRAPHILE["a"], "variables": {"i": i}},
        "b": {"query": POSTGRAPHILE["b"], "variables": {"p": ids["property"], "i": i}},
        "c": {"query": lookups_postgraphile(ids["units"], i)},
        "d": {"query": POSTGRAPHILE["d"], "variables": {"i": i}},
    }


def run_pmsgraph(args, backend, database_url, workdir):
    log(f"== pmsgraph on {backend}: first run, syncing the {args.size} sandbox portfolio")
    data_dir = tempfile.mkdtemp(prefix=f"pmsgraph-{backend}-", dir=workdir)
    server = start_pmsgraph(args, f"pmsgraph-{backend}", data_dir, database_url, True, workdir)
    try:
        token = None
        for _ in range(300):
            match = re.search(r"^(ey[\w-]+\.[\w-]+\.[\w-]+)$", server.output(), re.MULTILINE)
            if match:
                token = match.group(1)
                break
            time.sleep(0.2)
        if not token:
            raise SystemExit("bench: the first run printed no token")
        integration, created, took = wait_for_sync(server, token, args.sync_timeout)
        log(f"  synced {created} records in {took:.0f} s")
        bodies, ids = pmsgraph_bodies(server, token, integration)
        shapes = {k: rows(checked(server.url + "/graphql", b, token)) for k, b in bodies.items()}
    finally:
        server.stop()
    # Each measurement runs in a process of its own, so the peak RSS reported is the serving
    # process's, not the first run's sync.
    results = {}
    server = start_pmsgraph(args, f"pmsgraph-{backend}-cache", data_dir, database_url, True, workdir)
    try:
        log("  cache on")
        results["cached"] = measure(args.oha, server.url + "/graphql", bodies, token, args.duration, args.connections)
        results["cached_rss"] = rss_mb(server.process.pid)
    finally:
        server.stop()
    server = start_pmsgraph(args, f"pmsgraph-{backend}-nocache", data_dir, database_url, False, workdir)
    try:
        log("  cache off")
        for key, body in bodies.items():
            checked(server.url + "/graphql", body, token)
        results["uncached"] = measure(args.oha, server.url + "/graphql", bodies, token, args.duration, args.connections)
        results["uncached_rss"] = rss_mb(server.process.pid)
    finally:
        server.stop()
    return results, ids, shapes


def run_postgraphile(args, database_url, ids, shapes, workdir):
    log("== PostGraphile 4 on the same PostgreSQL tables")
    port = free_port()
    command = [args.postgraphile, "-c", database_url, "--schema", "public", "--host", "127.0.0.1", "--port", str(port),
               "--disable-default-mutations", "--disable-query-log", "--no-setof-functions-contain-nulls"]
    server = Server("postgraphile", pinned(0, command), dict(os.environ, NODE_ENV="production"), f"http://127.0.0.1:{port}", workdir)
    try:
        server.wait_ready("/graphql")
        bodies = postgraphile_bodies(ids)
        for key, body in bodies.items():
            shape = rows(checked(server.url + "/graphql", body))
            if shape != shapes[key]:
                raise SystemExit(f"bench: query set {key} differs: pmsgraph {shapes[key]}, PostGraphile {shape}")
        results = {"uncached": measure(args.oha, server.url + "/graphql", bodies, None, args.duration, args.connections)}
        results["uncached_rss"] = rss_mb(server.process.pid)
        return results
    finally:
        server.stop()


def table(runs):
    lines = [
        "| query set | system | database | cache | saturation req/s | p50 ms | p99 ms (at half) | server RSS MB |",
        "| --- | --- | --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for key in ("a", "b", "c", "d"):
        for (system, backend), results in runs.items():
            for cache in ("cached", "uncached"):
                if cache not in results:
                    continue
                saturation, rate, p50, p99 = results[cache][key]
                lines.append(
                    f"| ({key}) {PMSGRAPH[key][0]} | {system} | {backend} | {'on' if cache == 'cached' else 'off'} "
                    f"| {saturation:,.0f} | {p50:.2f} | {p99:.2f} (at {rate:,}) | {results[cache + '_rss']:.0f} |"
                )
    pg = runs.get(("pmsgraph", "postgres"))
    peer = runs.get(("PostGraphile 4", "postgres"))
    if pg and peer:
        lines.append("")
        ratios = [f"({k}) {pg['uncached'][k][0] / max(peer['uncached'][k][0], 1e-9):.1f}x" for k in "abcd"]
        lines.append("Uncached throughput, pmsgraph / PostGraphile on PostgreSQL: " + ", ".join(ratios))
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--oha", required=True)
    parser.add_argument("--postgraphile", required=True)
    parser.add_argument("--pg-admin-url", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--size", default="large")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--sync-timeout", type=int, default=3600)
    parser.add_argument("--psql", required=True)
    parser.add_argument("--databases", default="sqlite,postgres",
                        help="which of sqlite and postgres to run pmsgraph on (PostGraphile runs with postgres)")
    args = parser.parse_args()
    databases = {d.strip() for d in args.databases.split(",") if d.strip()}
    if not databases or not databases <= {"sqlite", "postgres"}:
        raise SystemExit(f"bench: --databases takes sqlite, postgres or both, not {args.databases!r}")

    runs = {}
    if "sqlite" in databases:
        results, ids, shapes = run_pmsgraph(args, "sqlite", None, args.workdir)
        runs[("pmsgraph", "sqlite")] = results
    if "postgres" in databases:
        run_on_postgres(args, runs)

    print()
    print(f"GraphQL reads, {args.size} sandbox portfolio, {args.connections} connections, {args.duration} s per run;")
    print("server on core 0, oha on core 1; p50/p99 at a fixed rate of half the saturation throughput.")
    print()
    print(table(runs))


def run_on_postgres(args, runs):
    subprocess.run([args.psql, args.pg_admin_url, "-q", "-c", "CREATE DATABASE pmsgraph_bench"], check=True)
    database_url = args.pg_admin_url.rsplit("/", 1)[0] + "/pmsgraph_bench"
    results, ids, shapes = run_pmsgraph(args, "postgres", database_url, args.workdir)
    runs[("pmsgraph", "postgres")] = results
    runs[("PostGraphile 4", "postgres")] = run_postgraphile(args, database_url, ids, shapes, args.workdir)


if __name__ == "__main__":
    main()
