#!/usr/bin/env python3
"""The whole benchmark suite in one command (issue 12): `scripts/bench.sh all [--quick]`.

    bench.sh all [--quick] [--out DIR] [--no-docs] [--only CASE,...] [--from DIR]

Runs, one after the other, each as its own `scripts/bench.sh CASE ...` (which builds and tears down
its testbed): single (single path, upload and download), mptcp (the same over MPTCP, offloads and
--no-offload), aggregation (the simult_flows.sh matrix),
fairness, failover, scale and rate (if this checkout's bench.sh has a `rate` case). Each case writes
its results as JSON (BENCH_JSON) into DIR (default target/bench-all/DATE), its output into
DIR/CASE.log; failover and aggregation also record the kernel server's bytes per subflow per 100 ms
(BENCH_SERIES: a tcpdump at the server, benchlib.Capture) for one run per client. A failed case is reported loudly and the
others still run; the exit status is then 1.

At the end: the table of jmptcp against the kernel with ratios (measured in the same run), gnuplot
PNGs in docs/img/ (throughput over time per subflow for the failover and two aggregation runs,
goodput per case against the kernel), and the generated block at the top of docs/benchmarks.md,
between the markers below; everything outside them stays byte for byte. --no-docs leaves docs/
alone (the PNGs go to DIR). --from DIR skips the runs and remakes table, plots and block from DIR.

--quick: small sizes and one run per case (5:36 on 2 shared vCPUs, without rate); the default uses
each case's own defaults, the project's normal sizes and runs (11:19, without rate).
"""
import argparse, datetime, json, os, re, shlex, subprocess, sys, time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(REPO, "scripts", "bench.sh")
DOC = os.path.join(REPO, "docs", "benchmarks.md")
BEGIN, END = "<!-- bench.sh all: begin -->", "<!-- bench.sh all: end -->"
PREFIX = "jrtb"  # bench.sh's testbed prefix

# case, arguments (quick, default), estimated seconds (quick, default) for the progress lines[, environment
# (quick, default)]
STEPS = [
    ("single", (["512", "3"], []), (65, 100)),
    ("mptcp", (["256"], []), (40, 90)),
    ("aggregation", (["1", "16"], []), (145, 220)),
    ("fairness", (["1", "4"], []), (70, 245)),
    ("failover", (["1", "48"], []), (40, 70)),
    ("scale", (["2000"], []), (25, 50)),
    ("rate", (["2000"], []), (60, 200), ({"RUNS": "1"}, {})),  # bench.sh rate [CONNS] [INFLIGHT], RUNS=N
]
PLOTTED_AGGREGATION = (1, 3)  # a balanced case (2 x 20 Mbit/s) and an unbalanced one (20/5)


def hms(s):
    s = int(round(s))
    return f"{s // 3600:d}:{s // 60 % 60:02d}:{s % 60:02d}"


def has_rate_case():
    """Whether this checkout's bench.sh has a `rate` case (a case label of its `case ${1:-}`)."""
    text = open(BENCH).read()
    return re.search(r"^\s*(?:[\w-]+\|)*rate(?:\|[\w-]+)*\)", text, re.M) is not None


def command(name, args):
    """bench.sh's arguments for a case (single path is its default case, no name)."""
    return ["scripts/bench.sh"] + ([] if name == "single" else [name]) + args


def run_step(name, args, extra_env, out, log):
    """Runs bench.sh NAME ARGS, its output to out/NAME.log and (indented) to the terminal.
    Returns (ok, a one-line reason)."""
    env = dict(os.environ, BENCH_JSON=os.path.join(out, f"{name}.json"), BENCH_SERIES=os.path.join(out, "series"),
               **extra_env)
    if os.path.exists(env["BENCH_JSON"]):
        os.remove(env["BENCH_JSON"])
    with open(os.path.join(out, f"{name}.log"), "w") as f:
        p = subprocess.Popen([BENCH] + command(name, args)[1:], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             env=env, cwd=REPO)
        for line in p.stdout:
            f.write(line)
            f.flush()
            log("    | " + line.rstrip("\n"))
        rc = p.wait()
    if rc != 0:
        return False, f"exit {rc}"
    if name != "rate" and not os.path.exists(env["BENCH_JSON"]):
        return False, "exit 0 but no results file"
    return True, "ok"


def load(out, name):
    try:
        with open(os.path.join(out, f"{name}.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


# ---- the summary table --------------------------------------------------------------------------

def rows(out):
    """(case, jmptcp, kernel, unit and which way is better) from the results in out."""
    r = []
    s = load(out, "single")
    if s:
        r.append(("single path upload", s["jmptcp_upload_gbit"], s["kernel_upload_gbit"],
                  "Gbit/s, higher is better (kernel: a Python client sending stdin, as jmptcp nc does)"))
        r.append(("single path upload, against iperf3", s["jmptcp_upload_gbit"], s["kernel_iperf3_gbit"],
                  "Gbit/s, higher is better (kernel: iperf3 for 5 s, no stdin)"))
        r.append(("single path download", s["jmptcp_download_gbit"], s["kernel_download_gbit"],
                  "Gbit/s, higher is better"))
        if "socks_upload_gbit" in s:  # results of a checkout with the SOCKS and CPU figures
            for way in ("upload", "download"):
                r.append((f"single path {way} through SOCKS", s[f"socks_{way}_gbit"], s[f"jmptcp_{way}_gbit"],
                          "Gbit/s, higher is better (the second column: jmptcp nc, the API path; goal 0.90)"))
            for way in ("upload", "download"):
                r.append((f"single path {way}, CPU", s[f"jmptcp_{way}_cpu_s_per_gb"], s[f"kernel_{way}_cpu_s_per_gb"],
                          "busy CPU seconds per GB, whole machine, lower is better"))
    mp = load(out, "mptcp")
    if mp:
        k = mp["kernel_mptcp_upload_gbit"]
        for way in ("upload", "download"):
            for mode in ("offload", "no_offload"):
                r.append((f"single path MPTCP {way}, {mode.replace('_', '-')}", mp[f"{way}_{mode}_gbit"], k,
                          "Gbit/s, higher is better (kernel: its MPTCP upload from a Python client sending stdin)"))
        if "upload_two_paths_gbit" in mp:  # results of a checkout with the two-path lines
            r.append(("two unlimited paths, MPTCP upload", mp["upload_two_paths_gbit"], mp["kernel_mptcp_upload_two_paths_gbit"],
                      "Gbit/s, higher is better (goal: at least the one-path figure)"))
            r.append(("two unlimited paths, MPTCP download", mp["download_two_paths_gbit"], mp["kernel_mptcp_upload_two_paths_gbit"],
                      "Gbit/s, higher is better (kernel: its two-path upload)"))
    a = load(out, "aggregation")
    if a:
        for x in a["rows"]:
            r.append((f"aggregation {x['n']}: {x['name']}", x["jmptcp_mbit"], x["kernel_mbit"],
                      f"Mbit/s, higher is better (links sum {x['sum_rates_mbit']})"))
    fa = load(out, "fairness")
    if fa:
        k = fa["median"]["kernel"]["mptcp_over_tcp"]
        for cc, m in fa["median"].items():
            if cc != "kernel":
                r.append((f"fairness {cc} (kernel: {fa['kernel_cc']})", m["mptcp_over_tcp"], k,
                          "MPTCP/TCP bytes at a shared bottleneck, 1 is fair"))
    fo = load(out, "failover")
    if fo:
        m = fo["median"]
        r.append(("failover longest stall", m["jmptcp"]["stall_s"], m["kernel"]["stall_s"], "s, lower is better"))
        r.append(("failover transfer", m["jmptcp"]["transfer_s"], m["kernel"]["transfer_s"], "s, lower is better"))
    for case, j, k in rate_rows(out):
        r.append((f"rate: new MPTCP connections per second, jmptcp {case}", j, k,
                  "connections/s, higher is better (kernel: its MPTCP sockets from Python)"))
    sc = load(out, "scale")
    if sc:
        for run in sc["runs"]:
            r.append((f"scale: memory per idle connection, {run['subflows_wanted']} subflow(s)",
                      run["bytes_per_connection"], round(run["kernel_slab_kib_per_connection"] * 1024),
                      "bytes: jmptcp heap / the kernel server's slab, lower is better"))
    return r


def fmt(v):
    if isinstance(v, int) or (isinstance(v, float) and v >= 1000):
        return f"{v:,.0f}"
    return f"{v:.3f}" if abs(v) < 10 else f"{v:.1f}"


def table(out, md):
    lines = []
    if md:
        lines += ["| case | jmptcp | kernel | jmptcp / kernel | unit |", "|---|---:|---:|---:|---|"]
    else:
        lines += [f"  {'case':58} {'jmptcp':>10} {'kernel':>10} {'ratio':>6}  unit"]
    for case, j, k, unit in rows(out):
        ratio = f"{j / k:.2f}" if k else "-"
        if md:
            lines.append(f"| {case} | {fmt(j)} | {fmt(k)} | **{ratio}** | {unit} |")
        else:
            lines.append(f"  {case:58} {fmt(j):>10} {fmt(k):>10} {ratio:>6}  {unit}")
    return lines


def rate_rows(out):
    """jmptcp's rows (api, socks) of the rate case's summary against its kernel row, from rate.log: that
    case (scripts/bench-rate.py, another branch's) prints its medians but writes no JSON yet."""
    try:
        text = open(os.path.join(out, "rate.log")).read()
    except OSError:
        return []
    med = {m.group(1): float(m.group(2).replace(",", ""))
           for m in re.finditer(r"^\s+(kernel|api|socks)\s+([\d,]+) connections/s\s+/ kernel", text, re.M)}
    return [(c, med[c], med["kernel"]) for c in ("api", "socks") if c in med and med.get("kernel")]


def rate_summary(out):
    """The rate case's own summary (the lines from its last '== ' header on), or None."""
    try:
        text = open(os.path.join(out, "rate.log")).read().splitlines()
    except OSError:
        return None
    heads = [i for i, x in enumerate(text) if x.startswith("== ") and "machine:" not in x]
    return [x for x in text[heads[0]:] if not x.startswith("bench:")] if heads else text[-15:]


# ---- plots (gnuplot) ----------------------------------------------------------------------------

def path_of(addr):
    """The testbed's client addresses: jmptcp 10.3.K.1, the kernel client 10.1.K.1 (path K)."""
    m = re.match(r"10\.[13]\.(\d+)\.1:(\d+)$", addr)
    return f"path {m.group(1)} ({addr})" if m else addr


def series_data(series_file, dat):
    """Writes gnuplot blocks, one per subflow 4-tuple and a last one for all of them: time (s) and
    Mbit/s per 100 ms bin (plotted as steps: the rate holds over the bin that ends at its time).
    Returns (titles, the series' metadata)."""
    with open(series_file) as f:
        s = json.load(f)
    keys = sorted({k for _, socks in s["samples"] for k in socks}, key=path_of)
    blocks, last = [], {}
    for k in keys:
        pts, prev = [], None
        for t, socks in s["samples"]:
            if k in socks:
                if prev and t > prev[0]:
                    pts.append((t, (socks[k] - prev[1]) * 8 / (t - prev[0]) / 1e6))
                prev = (t, socks[k])
        blocks.append(pts)
    total, prev = [], None
    for t, socks in s["samples"]:  # a subflow that closed keeps its last count
        last.update(socks)
        b = sum(last.values())
        if prev and t > prev[0]:
            total.append((t, (b - prev[1]) * 8 / (t - prev[0]) / 1e6))
        prev = (t, b)
    blocks.append(total)
    with open(dat, "w") as f:
        f.write("\n\n\n".join("\n".join(f"{t:.3f} {v:.3f}" for t, v in b) or "0 0" for b in blocks) + "\n")
    return [path_of(k) for k in keys] + ["all subflows"], s


def gnuplot(script, out):
    with open(out + ".gp", "w") as f:
        f.write(script)
    subprocess.run(["gnuplot", out + ".gp"], check=True)


def series_panels(out, files, titles, png, heading):
    """One panel per series file (jmptcp, kernel), a line per subflow and the sum."""
    gp = [f"set terminal pngcairo size 1000,{330 * len(files) + 60} font ',10'", f"set output '{png}'",
          f"set multiplot layout {len(files)},1 title \"{heading}\"", "set grid", "set key outside right top",
          'set xlabel "seconds after the receiver\'s first byte"', "set ylabel 'Mbit/s'", "set yrange [0:*]"]
    for i, (f, title) in enumerate(zip(files, titles)):
        dat = os.path.join(out, "series", os.path.basename(f).replace(".json", ".dat"))
        names, meta = series_data(f, dat)
        gp.append("unset arrow; unset label")
        if "cut_at_s" in meta:
            gp.append(f"set arrow from {meta['cut_at_s']}, graph 0 to {meta['cut_at_s']}, graph 1 nohead dt 2 lw 2 "
                      "lc rgb 'red'")
            gp.append(f"set label 'path 1 blackholed' at {meta['cut_at_s']}, graph 0.95 offset 0.5,0 tc rgb 'red'")
        lost, seen = meta.get("kernel_dropped"), meta.get("seen_bytes", 0) / (meta["mib"] << 20)
        gp.append(f"set title \"{title}: {meta['mib']} MiB in {meta['transfer_s']:.2f} s; the capture saw "
                  f"{100 * seen:.0f} % of the bytes" + (f", lost {lost} packets" if lost else "") + "\"")
        style = {"all subflows": "lw 3 lc rgb 'black'"}
        plots = [f"'{dat}' index {n} using 1:2 with fsteps {style.get(name, 'lw 1.5')} title \"{name}\""
                 for n, name in enumerate(names)]
        gp.append("plot " + ", \\\n     ".join(plots))
    gp.append("unset multiplot")
    gnuplot("\n".join(gp) + "\n", os.path.join(out, os.path.basename(png).replace(".png", "")))


def goodput_bars(out, png):
    """Clustered bars, jmptcp beside the kernel per case: single path (Gbit/s), then the aggregation
    matrix and the failover transfer (Mbit/s); the ratio under each case."""
    left, right = [], []
    s, a, fo = load(out, "single"), load(out, "aggregation"), load(out, "failover")
    mp = load(out, "mptcp")
    if s:
        left += [("upload", s["jmptcp_upload_gbit"], s["kernel_upload_gbit"]),
                 ("download", s["jmptcp_download_gbit"], s["kernel_download_gbit"])]
    if mp:
        left += [("MPTCP up", mp["upload_offload_gbit"], mp["kernel_mptcp_upload_gbit"]),
                 ("MPTCP down", mp["download_offload_gbit"], mp["kernel_mptcp_upload_gbit"])]
    if a:
        right += [(f"aggr. {x['n']}", x["jmptcp_mbit"], x["kernel_mbit"]) for x in a["rows"]]
    if fo:
        mbit = {w: fo["mib"] * 8 * 1.048576 / fo["median"][w]["transfer_s"] for w in ("jmptcp", "kernel")}
        right.append(("failover", mbit["jmptcp"], mbit["kernel"]))
    panels = [(p, t, u) for p, t, u in ((left, "single path, unlimited", "Gbit/s"),
                                        (right, "2 paths: aggregation matrix, failover", "Mbit/s")) if p]
    if not panels:
        return False
    gp = ["set terminal pngcairo size 1250,480 font ',10'", "set bmargin 4", f"set output '{png}'",
          f"set multiplot layout 1,{len(panels)} title \"goodput at the receiver, jmptcp vs the kernel, same run "
          "(ratio under each case)\"", "set style data histogram", "set style histogram cluster gap 1",
          "set style fill solid 0.8 border -1", "set boxwidth 0.9", "set grid ytics", "set yrange [0:*]",
          "set key top left"]
    for i, (p, title, unit) in enumerate(panels):
        dat = os.path.join(out, f"goodput-{i}.dat")
        with open(dat, "w") as f:
            for name, j, k in p:
                f.write(f"\"{name}\\n{j / k:.2f}\" {j:.4f} {k:.4f}\n")
        gp += [f"set title '{title}'", f"set ylabel '{unit}'",
               f"plot '{dat}' using 2:xtic(1) title 'jmptcp' lc rgb '#1f77b4', '' using 3 title 'kernel' "
               "lc rgb '#999999'"]
    gp.append("unset multiplot")
    gnuplot("\n".join(gp) + "\n", os.path.join(out, "goodput"))
    return True


def plots(out, img):
    """Makes the PNGs it has data for; returns [(alt text, file name)]."""
    made, sd = [], os.path.join(out, "series")
    os.makedirs(img, exist_ok=True)
    fo = [os.path.join(sd, f"failover-{w}.json") for w in ("jmptcp", "kernel")]
    if all(os.path.exists(f) for f in fo):
        png = os.path.join(img, "bench-failover.png")
        series_panels(out, fo, ["jmptcp (lia)", "kernel MPTCP client"], png,
                      "failover: throughput per subflow at the kernel server (tcpdump, 100 ms bins), path 1 blackholed")
        made.append(("failover: throughput over time per subflow, jmptcp and the kernel", png))
    a = load(out, "aggregation")
    for n in PLOTTED_AGGREGATION:
        files = [os.path.join(sd, f"aggregation-{n}-{w}.json") for w in ("jmptcp-lia", "kernel")]
        if all(os.path.exists(f) for f in files):
            name = next((x["name"] for x in a["rows"] if x["n"] == n), "") if a else ""
            png = os.path.join(img, f"bench-aggregation-{n}.png")
            series_panels(out, files, ["jmptcp (lia)", "kernel MPTCP client"], png,
                          f"aggregation case {n} ({name}): throughput per subflow at the kernel server (tcpdump, 100 ms bins)")
            made.append((f"aggregation case {n} ({name}): throughput over time per subflow", png))
    png = os.path.join(img, "bench-goodput.png")
    if goodput_bars(out, png):
        made.append(("goodput per case, jmptcp against the kernel", png))
    return made


# ---- docs/benchmarks.md -------------------------------------------------------------------------

def sh(*cmd):
    return subprocess.run(cmd, capture_output=True, text=True, cwd=REPO).stdout.strip()


def machine():
    model = next((x.split(":", 1)[1].strip() for x in open("/proc/cpuinfo") if x.startswith("model name")), "?")
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
    return f"{os.cpu_count()} vCPUs ({model}), kernel {os.uname().release}, {java}"


def invocation():
    """The command as typed: this process's arguments, and a flock(1) around it if there is one."""
    cmd = "scripts/bench.sh all" + "".join(f" {x}" for x in sys.argv[1:])
    pid = os.getppid()
    while pid > 1:
        try:
            argv = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")[:-1]
            stat = open(f"/proc/{pid}/stat").read()
        except OSError:
            break
        if argv and os.path.basename(argv[0].decode()) == "flock":  # its argv as typed
            return " ".join(shlex.quote(x.decode()) for x in [b"flock"] + argv[1:])
        pid = int(stat.rsplit(")", 1)[1].split()[1])
    return cmd


def block(out, meta, made):
    rel = os.path.relpath
    b = [BEGIN, "## Latest `bench.sh all` run (generated)", "",
         "Written by `scripts/bench.sh all` (scripts/bench-all.py), which rewrites only this block, between the "
         "markers; everything after it is the hand-kept history.", "",
         f"- machine: {meta['machine']}; load average {meta['load_start']} at the start, {meta['load_end']} at "
         "the end" + (" (other work on the machine: figures noisy; every ratio is jmptcp against the kernel "
                      "in the same run)" if meta["noisy"] else ""),
         f"- date: {meta['date']}, {hms(meta['seconds'])} in all",
         f"- commit: {meta['commit']}",
         f"- command: `{meta['command']}`",
         f"- cases: " + ", ".join(f"{n} {'ok' if ok else 'FAILED (' + why + ')'}" for n, ok, why in meta["steps"]),
         ""]
    b += table(out, md=True)
    rs = rate_summary(out)
    if rs:
        b += ["", "rate (its own summary):", "", "```"] + rs + ["```"]
    elif meta.get("rate") == "absent":
        b += ["", "rate: not available in this checkout"]
    b += [""] + [f"![{alt}]({rel(png, os.path.dirname(DOC))})" for alt, png in made]
    b += ["", "Throughput over time: new TCP bytes per subflow (its 4-tuple) per 100 ms as they arrive at the "
              "kernel server (a tcpdump of the headers there), the first run of each client. Per-case logs and "
              "JSON: `" + meta["out_rel"] + "` (not committed).", END]
    return "\n".join(b)


def write_doc(text):
    """Replaces the block between the markers, or puts it after the title line on the first run; the
    rest of the file stays byte for byte."""
    with open(DOC, "rb") as f:
        doc = f.read()
    new = text.encode()
    i, j = doc.find(BEGIN.encode()), doc.find(END.encode())
    if i >= 0 and j > i:
        doc = doc[:i] + new + doc[j + len(END):]
    else:
        nl = doc.index(b"\n") + 1  # after "# Benchmarks"
        doc = doc[:nl] + b"\n" + new + b"\n" + doc[nl:]
    with open(DOC, "wb") as f:
        f.write(doc)


# ---- the driver ---------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(prog="bench.sh all", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes, one run per case (about 6 minutes)")
    ap.add_argument("--out", help="results directory (default target/bench-all/DATE)")
    ap.add_argument("--no-docs", action="store_true", help="leave docs/ alone; the PNGs go to the results directory")
    ap.add_argument("--only", help="run only these cases, comma-separated")
    ap.add_argument("--from", dest="src", help="no runs: table, plots and block from this results directory")
    a = ap.parse_args()
    t0 = time.monotonic()
    started = datetime.datetime.now(datetime.timezone.utc)
    out = a.src or a.out or os.path.join(REPO, "target", "bench-all", started.strftime("%Y%m%d-%H%M%S"))
    os.makedirs(os.path.join(out, "series"), exist_ok=True)
    say = lambda m: print(m, flush=True)  # noqa: E731

    if subprocess.run([os.path.join(REPO, "scripts", "install-deps.sh"), "gnuplot:gnuplot-nox"]).returncode != 0:
        say("bench-all: gnuplot (Debian gnuplot-nox) is missing and could not be installed: no plots")
    load_start = " ".join(open("/proc/loadavg").read().split()[:3])
    meta_file = os.path.join(out, "meta.json")
    if a.src:
        with open(meta_file) as f:
            meta = json.load(f)
    else:
        dirty = sh("git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!docs/benchmarks.md")  # ours
        meta = {"machine": machine(), "load_start": load_start, "date": started.strftime("%Y-%m-%d %H:%M UTC"),
                "commit": sh("git", "log", "-1", "--format=%h (%cd)", "--date=format:%Y-%m-%d %H:%M") + " on "
                + sh("git", "rev-parse", "--abbrev-ref", "HEAD") + (" with uncommitted changes" if dirty else ""),
                "command": invocation(), "steps": []}
        only = set(a.only.split(",")) if a.only else None
        q = 0 if a.quick else 1
        steps = [(x[0], x[1][q], x[2][q], x[3][q] if len(x) > 3 else {}) for x in STEPS if only is None or x[0] in only]
        total_est, done_est, ok_est, ok_spent = sum(x[2] for x in steps), 0, 0, 0.0
        say(f"bench-all: {len(steps)} cases ({'--quick' if a.quick else 'default sizes'}), estimate "
            f"{hms(total_est)}; results in {out}")
        for i, (name, args, est, extra_env) in enumerate(steps, 1):
            spent = time.monotonic() - t0
            scale = ok_spent / ok_est if ok_est else 1.0  # how the estimates held up on the cases that ran
            say(f"[{i}/{len(steps)}] {name}: {''.join(f'{k}={v} ' for k, v in extra_env.items())}"
                f"{' '.join(command(name, args))}   "
                f"elapsed {hms(spent)}, about {hms(scale * (total_est - done_est))} left")
            if name == "rate" and not has_rate_case():
                say("rate: not available in this checkout")
                meta["rate"] = "absent"
                done_est += est
                continue
            s0 = time.monotonic()
            ok, why = run_step(name, args, extra_env, out, say)
            if ok:
                ok_est, ok_spent = ok_est + est, ok_spent + time.monotonic() - s0
            else:
                say(f"bench-all: FAILED: {name} ({why}); its output: {os.path.join(out, name + '.log')}")
                # a case that died may leave its testbed (bench.sh tears it down on exit, but not on SIGKILL)
                subprocess.run([os.path.join(REPO, "scripts", "testbed.sh"), "down", "--prefix", PREFIX],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            meta["steps"].append((name, ok, why))
            done_est += est
            say(f"[{i}/{len(steps)}] {name}: {'done' if ok else 'FAILED'} in {hms(time.monotonic() - s0)}")
        meta["seconds"] = time.monotonic() - t0
        meta["load_end"] = " ".join(open("/proc/loadavg").read().split()[:3])
        meta["noisy"] = float(meta["load_end"].split()[1]) > 2.5 or float(load_start.split()[0]) > 1.0
        meta["out_rel"] = os.path.relpath(out, REPO)
        with open(meta_file, "w") as f:
            json.dump(meta, f, indent=1)

    say("")
    say(f"== bench.sh all: jmptcp against the kernel, same run ({meta['machine']}; load {meta['load_start']} -> "
        f"{meta['load_end']})")
    for line in table(out, md=False):
        say(line)
    rs = rate_summary(out)
    if rs:
        say("  rate:")
        for line in rs:
            say("    " + line)
    elif meta.get("rate") == "absent":
        say("  rate: not available in this checkout")
    img = out if a.no_docs else os.path.join(REPO, "docs", "img")
    made = []
    try:
        made = plots(out, img)
    except (subprocess.CalledProcessError, OSError, ValueError, KeyError) as e:
        say(f"bench-all: FAILED: the plots ({e})")
        meta["steps"].append(("plots", False, str(e)[:80]))
    for alt, png in made:
        say(f"  plot: {os.path.relpath(png, REPO)}  ({alt})")
    if not a.no_docs:
        write_doc(block(out, meta, made))
        say(f"  docs/benchmarks.md: the generated block rewritten (between {BEGIN} and {END})")
    failed = [n for n, ok, _ in meta["steps"] if not ok]
    if failed:
        say(f"bench-all: FAILED cases: {', '.join(failed)} (logs in {out})")
        return 1
    say(f"bench-all: all cases ok in {hms(meta['seconds'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
