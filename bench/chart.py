#!/usr/bin/env python3
"""chart.py BENCH.tsv OUT.svg: the README's bar chart, from the raw figures
bench/run.sh keeps with BENCH_OUT=BENCH.tsv.

For each size, one bar per tool: envsafe run, age -d (decryption alone,
no program started), sops exec-env and dotenvx run, each the median wall
time of its paired group. The time axis is logarithmic (dotenvx is 100 to
3,000 times slower than the others), each bar labelled with its time."""
import math, sys

TOOLS = [("run", "envsafe run", "#2f7d32"), ("age", "age -d (decrypt only)", "#8a8a8a"),
         ("sops", "sops exec-env", "#1f5fa8"), ("dotenvx", "dotenvx run", "#c0582b")]


def load(path):
    med = {}
    for line in open(path):
        f = line.rstrip("\n").split("\t")
        if len(f) >= 4 and f[1] == "time":
            med.setdefault((int(f[0]), f[2]), float(f[3]))  # the first group's
    return med


def fmt(ms):
    if ms >= 1000:
        return "%.1f s" % (ms / 1000)
    if ms >= 100:
        return "%.0f ms" % ms
    return "%.1f ms" % ms


def main(src, out):
    med = load(src)
    sizes = sorted({s for s, _ in med})
    lo, hi = 1.0, max(med.values()) * 2
    left, width, bar, gap, top = 150, 520, 14, 12, 40
    x = lambda ms: left + width * (math.log10(ms) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))
    rows = []
    y = top
    for s in sizes:
        present = [(k, n, c) for k, n, c in TOOLS if (s, k) in med]
        rows.append(('<text x="%d" y="%d" class="size">%s secrets</text>' % (10, y + len(present) * bar / 2 + 4, "{:,}".format(s))))
        for k, n, c in present:
            ms = med[(s, k)]
            rows.append('<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"><title>%s: %s</title></rect>'
                        % (left, y, x(ms) - left, bar - 2, c, n, fmt(ms)))
            rows.append('<text x="%.1f" y="%d" class="val">%s</text>' % (x(ms) + 4, y + bar - 4, fmt(ms)))
            y += bar
        y += gap
    ticks = []
    t = lo
    while t <= hi:
        ticks.append('<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" class="grid"/><text x="%.1f" y="%d" class="tick">%s</text>'
                     % (x(t), x(t), top - 6, y - gap, x(t), y - gap + 14, fmt(t).replace(".0 ", " ")))
        t *= 10
    legend = []
    lx = left
    for k, n, c in TOOLS:
        legend.append('<rect x="%d" y="12" width="12" height="12" fill="%s"/><text x="%d" y="22" class="leg">%s</text>' % (lx, c, lx + 16, n))
        lx += 24 + 7 * len(n)
    h = y - gap + 24
    svg = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="-apple-system,Segoe UI,Helvetica,Arial,sans-serif">'
           % (left + width + 70, h, left + width + 70, h),
           '<style>.size{font-size:12px;fill:#333}.val{font-size:11px;fill:#333}.tick{font-size:10px;fill:#777;text-anchor:middle}'
           '.leg{font-size:12px;fill:#333}.grid{stroke:#ddd;stroke-width:1}</style>',
           '<rect width="100%" height="100%" fill="#fff"/>'] + ticks + rows + legend + ['</svg>']
    with open(out, "w") as f:
        f.write("\n".join(svg) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:3])
