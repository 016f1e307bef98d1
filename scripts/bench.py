#!/usr/bin/env python3
"""Whole-process comparison of confaudit against the tools a user would
otherwise run, on the same generated tree, in one go; writes BENCHMARKS.md.

    python3 scripts/bench.py                 # 10 MB and 100 MB trees
    python3 scripts/bench.py --quick         # 10 MB only, fewer repeats
    python3 scripts/bench.py --slow-tools-everywhere  # checkov and yamllint on 100 MB too

It builds the release binary and the examples `gen_corpus` and
`bare_parse`, generates the trees (seed 42) under --work, installs
checkov, gixy-ng and yamllint from PyPI into a venv there, and for each
tool measures wall time, CPU time (user+sys of the process and the
children it waited for) and peak RSS (the largest of those processes) with
wait4(2). Each number is the median of --repeat runs; the 1-minute load
average is recorded before every run, since the machine may be shared.
Instruction counts from callgrind (load-independent) back the ratio to the
bare parse. Targets are checked here, never in tests.
"""

import argparse
import datetime
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "confaudit")
GEN = os.path.join(ROOT, "target", "release", "examples", "gen_corpus")
BARE = os.path.join(ROOT, "target", "release", "examples", "bare_parse")
K8S_DIRS = ["apps", "istio", "gateway-api", "infra", "rendered"]


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def sh(cmd, **kw):
    log("+", " ".join(cmd))
    return subprocess.run(cmd, check=True, **kw)


TIME = "/usr/bin/time"


def warm(cmd):
    """Read every file the command names (directories walked) so the run
    starts from the page cache: this machine pages out file pages idle for
    a few seconds (DAMON reclaim), and disk reads are not what is measured."""
    for arg in cmd[1:]:
        if not arg.startswith("/") or not os.path.exists(arg):
            continue
        paths = [arg] if os.path.isfile(arg) else (
            os.path.join(d, f) for d, _, fs in os.walk(arg) for f in fs)
        for path in paths:
            try:
                with open(path, "rb") as f:
                    while f.read(1 << 20):
                        pass
            except OSError:
                pass


def measure(cmd, cwd=None, stdout_path=None):
    """Run once, from a warm page cache; return dict(wall, cpu, rss_mb,
    load, rc).

    GNU time does the fork/exec and wait4, so the peak RSS is the program's
    own (a child forked from Python would report Python's pages too)."""
    warm(cmd)
    load = os.getloadavg()[0]
    out = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        t0 = time.perf_counter()
        p = subprocess.run([TIME, "-f", "%U %S %M %x", "-o", tf.name] + cmd, cwd=cwd,
                           stdout=out, stderr=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
        fields = tf.read().split()[-4:]
    if stdout_path:
        out.close()
    try:
        user, sys_, rss_kb, rc = float(fields[0]), float(fields[1]), int(fields[2]), int(fields[3])
    except (IndexError, ValueError):
        user, sys_, rss_kb, rc = 0.0, 0.0, 0, p.returncode
    return {"wall": wall, "cpu": user + sys_, "rss_mb": rss_kb / 1024.0, "load": load, "rc": rc}


def summarize(cmd, runs):
    return {
        "wall": statistics.median(r["wall"] for r in runs),
        "cpu": statistics.median(r["cpu"] for r in runs),
        "rss_mb": max(r["rss_mb"] for r in runs),
        "load": statistics.median(r["load"] for r in runs),
        "rc": runs[-1]["rc"],
        "n": len(runs),
        "cmd": cmd,
    }


def interleaved(cmds, repeat):
    """Round-robin over the commands, so a change of machine load during the
    run hits every one of them alike and their ratios stay meaningful."""
    runs = {k: [] for k in cmds}
    for _ in range(repeat):
        for k, cmd in cmds.items():
            runs[k].append(measure(cmd))
    return {k: summarize(cmds[k], runs[k]) for k in cmds}


def median_of(cmd, repeat, cwd=None):
    runs = [measure(cmd, cwd=cwd) for _ in range(repeat)]
    return {
        "wall": statistics.median(r["wall"] for r in runs),
        "cpu": statistics.median(r["cpu"] for r in runs),
        "rss_mb": max(r["rss_mb"] for r in runs),
        "load": statistics.median(r["load"] for r in runs),
        "rc": runs[-1]["rc"],
        "n": repeat,
        "cmd": cmd,
    }


def callgrind_ir(cmd):
    """Instructions executed (all threads), from callgrind."""
    with tempfile.TemporaryDirectory() as d:
        outf = os.path.join(d, "cg.out")
        p = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={outf}"] + cmd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for line in p.stderr.splitlines():
            if "Collected :" in line:
                return int(line.split(":")[-1].strip())
    return None


def callgrind_threads(cmd):
    """Instructions per thread (main thread first) from callgrind."""
    with tempfile.TemporaryDirectory() as d:
        outf = os.path.join(d, "cg.out")
        subprocess.run(
            ["valgrind", "--tool=callgrind", "--separate-threads=yes",
             f"--callgrind-out-file={outf}"] + cmd,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        counts = []
        for name in sorted(os.listdir(d)):
            for line in open(os.path.join(d, name), errors="replace"):
                if line.startswith("totals:") or line.startswith("summary:"):
                    counts.append(int(line.split()[1]))
                    break
        return counts


def ensure_venv(work):
    venv = os.path.join(work, "venv")
    py = os.path.join(venv, "bin", "python")
    want = ["checkov", "gixy-ng", "yamllint"]
    if not os.path.exists(py):
        sh([sys.executable, "-m", "venv", venv])
    missing = [
        w
        for w in ["checkov", "gixy", "yamllint"]
        if not os.path.exists(os.path.join(venv, "bin", w))
    ]
    if missing:
        sh([py, "-m", "pip", "install", "-q"] + want)
    versions = {}
    for tool, args in [("checkov", ["--version"]), ("gixy", ["--version"]), ("yamllint", ["--version"])]:
        try:
            out = subprocess.run(
                [os.path.join(venv, "bin", tool)] + args,
                capture_output=True, text=True, timeout=120,
            )
            lines = [x for x in (out.stdout + out.stderr).splitlines() if any(c.isdigit() for c in x)]
            versions[tool] = lines[0].strip() if lines else "unknown"
        except Exception as e:  # noqa: BLE001
            versions[tool] = f"unavailable ({e})"
    return venv, versions


def generate(work, mb):
    out = os.path.join(work, f"corpus{mb}")
    stamp = os.path.join(work, f"corpus{mb}.stamp")
    gen_hash = hashlib.sha256(open(GEN, "rb").read()).hexdigest()
    if not (os.path.exists(stamp) and open(stamp).read() == gen_hash):
        sh([GEN, "--seed", "42", "--size", f"{mb}MB", "--out", out], stdout=subprocess.DEVNULL)
        open(stamp, "w").write(gen_hash)
    return out


def tree_facts(root):
    total = files = largest = 0
    largest_path = ""
    for d, _, fs in os.walk(root):
        for f in fs:
            p = os.path.join(d, f)
            s = os.path.getsize(p)
            total += s
            files += 1
            if s > largest:
                largest, largest_path = s, os.path.relpath(p, root)
    return {"bytes": total, "files": files, "largest": largest, "largest_path": largest_path}


def recall(root, report_path):
    planted = []
    with open(os.path.join(root, "PLANTED.tsv")) as f:
        next(f)
        for line in f:
            rule, path, ln, _ = line.rstrip("\n").split("\t", 3)
            planted.append((rule, path, int(ln)))
    rep = json.load(open(report_path))
    prefix = root.rstrip("/") + "/"
    got = {
        (x["rule"], x["location"]["path"].replace(prefix, "", 1), x["location"]["start"]["line"])
        for x in rep["findings"]
    }
    found = sum(1 for p in planted if p in got)
    planted_set = set(planted)
    extra = len([g for g in got if g not in planted_set])
    return {"planted": len(planted), "found": found, "other_findings": extra,
            "files": rep["summary"]["files"], "documents": rep["summary"]["documents"]}


def determinism(root, work):
    outs = []
    for threads, tag in [(1, "t1"), (2, "t2a"), (2, "t2b")]:
        path = os.path.join(work, f"det-{tag}.json")
        measure([BIN, root, "--format", "json", "--threads", str(threads)], stdout_path=path)
        outs.append(open(path, "rb").read())
    sarif = []
    for threads in (1, 2):
        path = os.path.join(work, f"det-sarif-{threads}.json")
        measure([BIN, root, "--format", "sarif", "--threads", str(threads)], stdout_path=path)
        sarif.append(open(path, "rb").read())
    return {
        "json_t1_eq_t2": outs[0] == outs[1],
        "json_runs_eq": outs[1] == outs[2],
        "sarif_t1_eq_t2": sarif[0] == sarif[1],
        "sha256": hashlib.sha256(outs[0]).hexdigest()[:16],
    }


def fmt_row(name, r, base=None):
    ratio = f"{r['wall'] / base['wall']:.2f}x" if base else ""
    return (f"| {name} | {r['wall']:.3f} | {r['cpu']:.3f} | {r['rss_mb']:.1f} | "
            f"{r['load']:.2f} | {r['n']} | {ratio} |")


def machine():
    cpu = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    return f"{cpu}, {os.cpu_count()} cores, {mem}, {platform.system()} {platform.release()}, {rustc}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", default="/tmp/confaudit-bench")
    ap.add_argument("--sizes", default="10,100", help="tree sizes in MB")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="10 MB only, 3 repeats, no callgrind")
    ap.add_argument("--slow-tools-everywhere", action="store_true",
                    help="also run checkov and yamllint on trees above 10 MB (hours here)")
    ap.add_argument("--no-callgrind", action="store_true")
    ap.add_argument("--out", default=os.path.join(ROOT, "BENCHMARKS.md"))
    a = ap.parse_args()
    if a.quick:
        a.sizes, a.repeat, a.no_callgrind = "10", 3, True
    os.makedirs(a.work, exist_ok=True)
    sh(["cargo", "build", "--release", "--quiet", "--bin", "confaudit",
        "--example", "gen_corpus", "--example", "bare_parse"], cwd=ROOT)
    venv, versions = ensure_venv(a.work)
    vbin = lambda t: os.path.join(venv, "bin", t)  # noqa: E731
    R = a.repeat
    results = {}
    checks = []

    for mb in [int(s) for s in a.sizes.split(",")]:
        root = generate(a.work, mb)
        facts = tree_facts(root)
        k8s = [os.path.join(root, d) for d in K8S_DIRS if os.path.isdir(os.path.join(root, d))]
        ngx = os.path.join(root, "nginx")
        confs = sorted(
            os.path.join(ngx, s, "nginx.conf") for s in os.listdir(ngx)
        ) if os.path.isdir(ngx) else []
        res = {"facts": facts}
        log(f"== {mb} MB tree: {facts}")
        res.update(interleaved({
            "confaudit": [BIN, root, "--format", "json", "-q"],
            "confaudit_t1": [BIN, root, "--format", "json", "--threads", "1"],
            "confaudit_t2": [BIN, root, "--format", "json", "--threads", "2"],
            "bare": [BARE, "--nginx", root],
            "bare_t1": [BARE, "--nginx", "--threads", "1", root],
        }, R))
        slow_ok = mb <= 10 or a.slow_tools_everywhere
        if slow_ok:
            res["yamllint"] = median_of(
                [vbin("yamllint"), "-f", "parsable", "-d", "relaxed", root], 1)
        # Kubernetes part.
        res["confaudit_k8s"] = median_of([BIN, "--format", "json"] + k8s, R)
        if slow_ok:
            res["checkov"] = median_of(
                [vbin("checkov"), "--framework", "kubernetes", "--quiet", "--compact",
                 "-o", "json"] + sum((["-d", d] for d in k8s), []),
                1,
            )
        # NGINX part.
        res.update(interleaved({
            "confaudit_nginx": [BIN, "--format", "json", ngx],
            "bare_nginx": [BARE, "--nginx", ngx],
        }, R))
        res["bare_keep"] = median_of([BARE, "--nginx", "--keep", root], max(1, R // 2))
        res["gixy"] = median_of([vbin("gixy"), "-f", "json"] + confs, 1 if mb > 10 else min(R, 3))
        # Pre-commit: one small file.
        one = os.path.join(root, "infra", "gateway.yaml")
        res["single"] = median_of([BIN, "--format", "json", "--no-context", one], max(R, 10))
        rep = os.path.join(a.work, f"report{mb}.json")
        measure([BIN, root, "--format", "json"], stdout_path=rep)
        res["recall"] = recall(root, rep)
        res["determinism"] = determinism(root, a.work)
        if not a.no_callgrind and mb <= 10:
            res["ir_confaudit"] = callgrind_ir([BIN, root, "--format", "json", "--threads", "1"])
            res["ir_bare"] = callgrind_ir([BARE, "--nginx", "--threads", "1", root])
            res["ir_threads"] = callgrind_threads([BIN, root, "--format", "json", "--threads", "2"])
        results[mb] = res

    # ---- BENCHMARKS.md ----
    L = []
    L.append("# Benchmarks\n")
    L.append("Regenerated by `python3 scripts/bench.py` "
             f"({datetime.date.today().isoformat()}). Do not edit by hand.\n")
    L.append(f"- Machine: {machine()}")
    L.append("- The machine may be shared: the `load` column is the 1-minute load average "
             "before each run (median over runs). confaudit and the bare parse run round-robin, "
             "so load changes hit both alike. Times are whole-process medians of `n` runs; "
             "CPU is user+sys and peak RSS the maximum resident set, both from GNU time "
             "(`/usr/bin/time -f '%U %S %M'`).")
    L.append(f"- Tools: {subprocess.run([BIN, '--version'], capture_output=True, text=True).stdout.strip()}, "
             + ", ".join(f"{k} {v}" for k, v in versions.items()))
    L.append("- Trees: `cargo run --release --example gen_corpus -- --seed 42 --size NMB --out DIR` "
             "(Kubernetes workloads and Services in YAML and JSON, Ingresses, Istio, Gateway API, "
             "Envoy bootstraps, NGINX sites with includes, rendered bundles; ~3% of applications "
             "carry a planted mistake listed in `PLANTED.tsv`).")
    L.append("- Bare parse: `examples/bare_parse.rs --nginx` discovers the same files and runs only "
             "our YAML/JSON loader and NGINX parser (what confaudit parses) — the practical floor.\n")
    for mb, res in results.items():
        f = res["facts"]
        L.append(f"## {mb} MB tree\n")
        L.append(f"{f['files']} files, {f['bytes'] / 1e6:.1f} MB, largest file "
                 f"{f['largest'] / 1e6:.2f} MB (`{f['largest_path']}`); confaudit read "
                 f"{res['recall']['files']} files, {res['recall']['documents']} documents.\n")
        L.append("| run | wall s | CPU s | peak RSS MB | load | n | vs bare parse |")
        L.append("|---|---|---|---|---|---|---|")
        b = res["bare"]
        L.append(fmt_row("confaudit (2 threads)", res["confaudit"], b))
        L.append(fmt_row("confaudit --threads 1", res["confaudit_t1"], res["bare_t1"]))
        L.append(fmt_row("confaudit --threads 2", res["confaudit_t2"], b))
        L.append(fmt_row("bare parse (2 threads)", b, b))
        L.append(fmt_row("bare parse --threads 1", res["bare_t1"], res["bare_t1"]))
        L.append(fmt_row("bare parse --keep (parsed trees held to the end)", res["bare_keep"], b))
        if "yamllint" in res:
            L.append(fmt_row("yamllint -d relaxed (whole tree)", res["yamllint"], b))
        L.append(fmt_row("confaudit, Kubernetes part", res["confaudit_k8s"]))
        if "checkov" in res:
            L.append(fmt_row("checkov --framework kubernetes, Kubernetes part", res["checkov"]))
        L.append(fmt_row("confaudit, NGINX part", res["confaudit_nginx"]))
        L.append(fmt_row("bare parse --nginx, NGINX part", res["bare_nginx"]))
        L.append(fmt_row("gixy-ng, NGINX part (each site's nginx.conf)", res["gixy"]))
        L.append(fmt_row("confaudit, one small file (pre-commit)", res["single"]))
        L.append("")
        rc = res["recall"]
        L.append(f"Planted mistakes found: {rc['found']}/{rc['planted']}; findings not planted: "
                 f"{rc['other_findings']}.")
        d = res["determinism"]
        L.append(f"Determinism: JSON `--threads 1` == `--threads 2`: {d['json_t1_eq_t2']}; "
                 f"two runs identical: {d['json_runs_eq']}; SARIF 1 == 2 threads: "
                 f"{d['sarif_t1_eq_t2']} (sha256 {d['sha256']}…).\n")
        if res.get("ir_confaudit") and res.get("ir_bare"):
            L.append(f"Callgrind, one thread (load-independent): confaudit "
                     f"{res['ir_confaudit'] / 1e9:.2f} G instructions, bare parse "
                     f"{res['ir_bare'] / 1e9:.2f} G: ratio {res['ir_confaudit'] / res['ir_bare']:.3f}.\n")
        th = res.get("ir_threads") or []
        if len(th) >= 2:
            main_ir, workers = th[0], sorted(th[1:], reverse=True)
            total = sum(th)
            # Amdahl: the main thread's instructions are the serial part
            # (valgrind runs one thread at a time, so the workers' split says
            # nothing about balance on real cores).
            bound = total / (main_ir + (total - main_ir) / 2)
            res["amdahl"] = bound
            L.append(f"Callgrind, `--threads 2`, instructions per thread: main {main_ir / 1e6:.0f} M "
                     f"(start, model, output: the serial part, {100 * main_ir / total:.1f}%), "
                     f"others (pool, walk) {', '.join(f'{w / 1e6:.0f} M' for w in workers)}; on two idle cores "
                     f"the speed-up is at most {bound:.2f}x (Amdahl).\n")

        # Targets.
        def check(name, ok, detail):
            checks.append((f"{mb} MB", name, "met" if ok else "NOT met", detail))

        r_e2e = res["confaudit"]["wall"] / b["wall"]
        r_e2e_cpu = res["confaudit_t1"]["cpu"] / res["bare_t1"]["cpu"]
        check("end-to-end <= 1.25x bare parse", r_e2e <= 1.25,
              f"wall {r_e2e:.2f}x; CPU (1 thread) {r_e2e_cpu:.2f}x"
              + (f"; instructions {res['ir_confaudit'] / res['ir_bare']:.2f}x"
                 if res.get("ir_confaudit") and res.get("ir_bare") else ""))
        speed = res["confaudit_t1"]["wall"] / res["confaudit_t2"]["wall"]
        check("2 threads >= 1.7x faster than 1", speed >= 1.7,
              f"{speed:.2f}x wall (load {res['confaudit_t2']['load']:.2f})"
              + (f"; Amdahl bound from instructions {res['amdahl']:.2f}x" if res.get("amdahl") else ""))
        check("one small file < 10 ms wall", res["single"]["wall"] < 0.010,
              f"{res['single']['wall'] * 1000:.1f} ms")
        rss = res["confaudit"]["rss_mb"]
        held = res["bare_keep"]["rss_mb"]
        budget = 2 * f["largest"] / 2**20 + held
        check("peak RSS < 2x largest file + model", rss < budget,
              f"{rss:.0f} MB peak; budget {budget:.0f} MB = 2x largest file "
              f"({2 * f['largest'] / 2**20:.1f} MB) + parsed trees held for cross-file rules "
              f"({held:.0f} MB, `bare_parse --keep`)")
        if mb >= 100:
            check("peak RSS < 200 MB on the 100 MB tree", rss < 200, f"{rss:.0f} MB")
        if "checkov" in res:
            x = res["checkov"]["wall"] / res["confaudit_k8s"]["wall"]
            check(">= 100x faster than checkov (Kubernetes part)", x >= 100, f"{x:.0f}x")
        x = res["gixy"]["wall"] / res["confaudit_nginx"]["wall"]
        xb = res["gixy"]["wall"] / res["bare_nginx"]["wall"]
        check(">= 10x faster than gixy-ng (NGINX part)", x >= 10,
              f"{x:.0f}x (vs bare NGINX parse {xb:.0f}x)")
        check("byte-identical output (threads 1/2, runs)",
              d["json_t1_eq_t2"] and d["json_runs_eq"] and d["sarif_t1_eq_t2"], "JSON and SARIF")

    L.append("## Targets\n")
    L.append("| tree | target | result | numbers |")
    L.append("|---|---|---|---|")
    for c in checks:
        L.append(f"| {c[0]} | {c[1]} | {c[2]} | {c[3]} |")
    L.append("")
    L.append("## Commands\n")
    L.append("```sh")
    for mb, res in results.items():
        for key in ["confaudit", "confaudit_t1", "bare", "bare_t1", "yamllint", "confaudit_k8s",
                    "checkov", "confaudit_nginx", "bare_nginx", "gixy", "single"]:
            if key in res:
                cmd = " ".join(os.path.basename(x) if x.startswith(a.work + "/venv") else x
                               for x in res[key]["cmd"])
                if len(cmd) > 300:
                    cmd = cmd[:300] + " …"
                L.append(cmd)
        break
    L.append("```\n")
    extra = os.path.join(ROOT, "scripts", "bench-notes.md")
    if os.path.exists(extra):
        L.append(open(extra).read())
    open(a.out, "w").write("\n".join(L) + "\n")
    json.dump({str(k): v for k, v in results.items()}, open(os.path.join(a.work, "results.json"), "w"),
              indent=1, default=str)
    log(f"wrote {a.out}")
    print("\n".join(L))


if __name__ == "__main__":
    main()
