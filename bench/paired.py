#!/usr/bin/env python3
"""paired.py RUNS DIR_A CMD_A DIR_B CMD_B

Times two commands alternately (A B, B A, A B, ...) so that load drifting
over the run weighs on both alike, and prints the median time of each and
the median, min and max of the per-pair ratios B/A. CMD_* are run by sh."""
import os, statistics, subprocess, sys, time

runs, dir_a, cmd_a, dir_b, cmd_b = int(sys.argv[1]), *sys.argv[2:6]
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
