#!/usr/bin/env python3
"""scancompare.py PLANTS ENVSAFE.json GITLEAKS.json: which planted secrets
each tool found (bench/scan.sh).

PLANTS holds `git log --grep plant --format='%H %s'` of a history made by
bench/genhistory.py ("<commit> change N plant KIND PATH"). A plant is
found by a tool when the tool reports any finding in that commit and file.
Prints one tab-separated line per kind: kind, planted, found by envsafe,
found by gitleaks; then `other` lines: findings outside any plant."""
import collections, json, sys

plants = {}
for line in open(sys.argv[1]):
    commit, _, rest = line.strip().partition(" ")
    words = rest.split()
    kind, path = words[3], words[4]
    plants[(commit, path)] = kind
es = {(f["commit"], f["path"]) for f in json.load(open(sys.argv[2]))["findings"]}
gl = {(f["Commit"], f["File"]) for f in json.load(open(sys.argv[3]))}
rows = collections.OrderedDict()
for key, kind in sorted(plants.items(), key=lambda kv: kv[1]):
    r = rows.setdefault(kind, [0, 0, 0])
    r[0] += 1
    r[1] += key in es
    r[2] += key in gl
for kind, (n, e, g) in rows.items():
    print("%s\t%d\t%d\t%d" % (kind, n, e, g))
print("other\t-\t%d\t%d" % (len(es - plants.keys()), len(gl - plants.keys())))
