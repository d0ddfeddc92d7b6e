#!/usr/bin/env python3
"""paired.py: time commands in alternation, so load that drifts over a run
weighs on every command alike, and report per-round ratios.

Two forms:

  paired.py RUNS DIR_A CMD_A DIR_B CMD_B
      The original A/B form (bench/signed.sh): CMD_* run by sh in DIR_*,
      alternately (A B, B A, A B, ...); prints each median and the median,
      min and max of the per-pair ratios B/A.

  paired.py --runs N [--warmup W] [--dir DIR] \\
      --cmd 'LABEL::[NAME=VALUE|-NAME]... PROGRAM ARG...' ... \\
      [--prepare 'LABEL::SHELL COMMAND'] ... \\
      [--ratio 'LABEL/LABEL[+LABEL...]'] ... [--delta 'LABEL-LABEL'] ...
      Runs every command once per round, without a shell (posix_spawn, the
      way hyperfine -N does), the order rotating from round to round so each
      command takes each position equally often. Leading NAME=VALUE words set
      variables and -NAME removes one, like env(1) but without starting env.
      A --prepare command runs (by sh, untimed) before each run of LABEL.
      Prints tab-separated lines:
        time   LABEL  MEDIAN_MS  MIN_MS  MAX_MS
        ratio  SPEC   MEDIAN     MIN     MAX    (per round: A / (B + C ...))
        delta  SPEC   MEDIAN_MS  MIN_MS  MAX_MS (per round: A - B)
      and a last line: load  LOAD1_BEFORE  LOAD1_AFTER  ROUNDS. (Peak memory
      is not measured here: a child started from this process inherits its
      high-water mark; bench/run.sh asks GNU time.)
"""
import argparse, os, shlex, statistics, subprocess, sys, time


def legacy(argv):
    runs, dir_a, cmd_a, dir_b, cmd_b = int(argv[0]), *argv[1:5]
    times = {"a": [], "b": []}
    for i in range(runs):
        for k in ("ab" if i % 2 == 0 else "ba"):
            d, c = (dir_a, cmd_a) if k == "a" else (dir_b, cmd_b)
            start = time.perf_counter()
            subprocess.run(["sh", "-c", c], cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            times[k].append(time.perf_counter() - start)
    ratios = sorted(b / a for a, b in zip(times["a"], times["b"]))
    print("A median %.2f ms, B median %.2f ms, B/A median %.3f (min %.2f, max %.2f), %d pairs, load %.2f"
          % (statistics.median(times["a"]) * 1e3, statistics.median(times["b"]) * 1e3,
             statistics.median(ratios), ratios[0], ratios[-1], runs, os.getloadavg()[0]))


def parse_cmd(spec):
    label, _, rest = spec.partition("::")
    words = shlex.split(rest)
    env = dict(os.environ)
    while words and ("=" in words[0] and not words[0].startswith("=") or words[0].startswith("-")):
        w = words.pop(0)
        if w.startswith("-"):
            env.pop(w[1:], None)
        else:
            k, _, v = w.partition("=")
            env[k] = v
    if not words:
        sys.exit("paired.py: no program in %r" % spec)
    prog = words[0]
    if "/" not in prog:
        for d in env.get("PATH", "").split(os.pathsep):
            p = os.path.join(d, prog)
            if os.access(p, os.X_OK):
                prog = p
                break
        else:
            sys.exit("paired.py: %s not found" % words[0])
    return label, (prog, words, env)


def run_once(cmd, devnull):
    prog, argv, env = cmd
    start = time.perf_counter()
    pid = os.posix_spawn(prog, argv, env, file_actions=[
        (os.POSIX_SPAWN_DUP2, devnull, 0), (os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)])
    _, status = os.waitpid(pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit("paired.py: %s exited %d" % (" ".join(argv), os.waitstatus_to_exitcode(status)))
    return elapsed


def rounds(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--dir")
    ap.add_argument("--cmd", action="append", default=[])
    ap.add_argument("--prepare", action="append", default=[])
    ap.add_argument("--ratio", action="append", default=[])
    ap.add_argument("--delta", action="append", default=[])
    a = ap.parse_args(argv)
    if a.dir:
        os.chdir(a.dir)
    cmds = dict(parse_cmd(c) for c in a.cmd)
    labels = list(cmds)
    prep = {}
    for p in a.prepare:
        label, _, sh = p.partition("::")
        prep[label] = sh
    devnull = os.open(os.devnull, os.O_RDWR)

    def one(label):
        if label in prep:
            subprocess.run(["sh", "-c", prep[label]], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        return run_once(cmds[label], devnull)

    for _ in range(a.warmup):
        for label in labels:
            one(label)
    load_before = os.getloadavg()[0]
    times = {l: [] for l in labels}
    for i in range(a.runs):
        k = i % len(labels)
        for label in labels[k:] + labels[:k]:
            times[label].append(one(label))
    for label in labels:
        ts = times[label]
        print("time\t%s\t%.3f\t%.3f\t%.3f" % (label, statistics.median(ts) * 1e3, min(ts) * 1e3, max(ts) * 1e3))
    for spec in a.ratio:
        num, _, den = spec.partition("/")
        den = den.split("+")
        rs = sorted(times[num][i] / sum(times[d][i] for d in den) for i in range(a.runs))
        print("ratio\t%s\t%.3f\t%.3f\t%.3f" % (spec, statistics.median(rs), rs[0], rs[-1]))
    for spec in a.delta:
        x, _, y = spec.partition("-")
        ds = sorted((times[x][i] - times[y][i]) * 1e3 for i in range(a.runs))
        print("delta\t%s\t%.3f\t%.3f\t%.3f" % (spec, statistics.median(ds), ds[0], ds[-1]))
    print("load\t%.2f\t%.2f\t%d" % (load_before, os.getloadavg()[0], a.runs))


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1].isdigit():
        legacy(sys.argv[1:])
    else:
        rounds(sys.argv[1:])
