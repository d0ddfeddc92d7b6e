#!/usr/bin/env python3
"""genhistory.py COMMITS: a `git fast-import` stream on stdout for a
synthetic history of COMMITS commits (bench/scan.sh).

Each commit appends four lines of code to a source file (a new one every
20 commits), so the diff volume grows linearly with the commits. Every 100th commit also adds
a planted secret, cycling through kinds that secret scanners look for
(an AWS access key ID with its secret key, a GitHub token, a Slack token,
a GitLab token, a private key block, a .env file, a password in a URL, a
generic api_key assignment); every planted secret is random, and the
commit message names its kind, so findings can be matched to plants. The
same COMMITS always gives the same repository (a fixed seed)."""
import random, string, sys

n = int(sys.argv[1])
rng = random.Random(n)
out = sys.stdout.buffer
alnum = string.ascii_letters + string.digits
b32 = string.ascii_uppercase + "234567"


def rand(chars, k):
    return "".join(rng.choice(chars) for _ in range(k))


def plant(kind):
    if kind == "aws":
        return "config/aws_%d.py" % rng.randrange(10**6), ('AWS_ACCESS_KEY_ID = "AKIA%s"\naws_secret_access_key = "%s"\n'
                                                     % (rand(b32, 16), rand(alnum + "/+", 40)))
    if kind == "github":
        return "scripts/deploy_%d.sh" % rng.randrange(10**6), 'export GH_TOKEN=ghp_%s\n' % rand(alnum, 36)
    if kind == "slack":
        return "bots/notify_%d.js" % rng.randrange(10**6), ('const token = "xoxb-%s-%s-%s";\n'
                                                     % (rand(string.digits, 12), rand(string.digits, 13), rand(alnum, 24)))
    if kind == "gitlab":
        return "ci/pipeline_%d.yml" % rng.randrange(10**6), 'token: glpat-%s\n' % rand(alnum, 20)
    if kind == "privatekey":
        body = "\n".join(rand(alnum + "+/", 64) for _ in range(6))
        return "keys/id_%d.pem" % rng.randrange(10**6), "-----BEGIN RSA PRIVATE KEY-----\n%s\n-----END RSA PRIVATE KEY-----\n" % body
    if kind == "dotenv":
        return "services/svc%d/.env" % rng.randrange(10**6), "DATABASE_PASSWORD=%s\nDEBUG=false\n" % rand(alnum, 24)
    if kind == "url":
        return "config/db_%d.yaml" % rng.randrange(10**6), "url: postgres://app:%s@db.internal:5432/app\n" % rand(alnum, 20)
    return "lib/client_%d.py" % rng.randrange(10**6), 'api_key = "%s"\n' % rand(string.ascii_lowercase + string.digits, 32)


KINDS = ["aws", "github", "slack", "gitlab", "privatekey", "dotenv", "url", "generic"]
files = {}
mark = 0
t = 1700000000


def blob(data):
    global mark
    mark += 1
    out.write(b"blob\nmark :%d\ndata %d\n" % (mark, len(data)) + data + b"\n")
    return mark


for i in range(n):
    changes = []
    # A new file every 20 commits keeps each blob small: the stream (every
    # version of every file) grows linearly with the commits too.
    # Folders of 100 files: a flat folder of thousands would make git's
    # tree diff of each commit, not the scanners, grow with the history.
    f = "src/d%03d/module_%02d.py" % (i // 2000, (i // 20) % 100)
    lines = "".join("def f_%d_%d(x):\n    return x * %d + %d\n" % (i, j, rng.randrange(1000), j) for j in range(2))
    files[f] = files.get(f, b"") + lines.encode()
    changes.append((f, blob(files[f])))
    msg = "change %d" % i
    if i % 100 == 50:
        kind = KINDS[(i // 100) % len(KINDS)]
        path, text = plant(kind)
        changes.append((path, blob(text.encode())))
        msg += " plant %s %s" % (kind, path)
    t += 60
    msg = msg.encode() + b"\n"
    out.write(b"commit refs/heads/main\ncommitter Bench <bench@example.com> %d +0000\ndata %d\n" % (t, len(msg)) + msg)
    for path, m in changes:
        out.write(b"M 100644 :%d %s\n" % (m, path.encode()))
    out.write(b"\n")
