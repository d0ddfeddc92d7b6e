#!/bin/sh
# bench/scan.sh: `envsafe scan --history` against gitleaks on generated
# histories of 1,000, 10,000 and 100,000 commits (bench/genhistory.py,
# loaded with git fast-import): wall time and peak memory per tool, and
# which planted secrets each tool found.
#
#   bench/scan.sh
#   COMMITS="1000 10000" RUNS=5 bench/scan.sh
#
# The two tools run alternately, RUNS times each per history (1 at
# 100,000), and the medians are shown, beside the `git log -p` envsafe
# starts, run alone. Peak memory is GNU time's: the largest resident set of
# the tool and of the `git log -p` it starts (both tools read history
# through git), so where a tool's figure equals git's, git is the peak. gitleaks is installed with `go install
# github.com/zricethezav/gitleaks/v8@$GITLEAKS_VERSION` into bench/.tools;
# without it the gitleaks columns are empty.
set -eu
cd "$(dirname "$0")/.."
repo=$(pwd)
COMMITS=${COMMITS:-"1000 10000 100000"}
RUNS=${RUNS:-3}
GITLEAKS_VERSION=${GITLEAKS_VERSION:-v8.28.0}
tools=$repo/bench/.tools
mkdir -p "$tools/bin" "$tools/histories"
note() { echo "bench: $*" >&2; }

make -s build >&2
envsafe=$repo/.bin/envsafe
gitleaks=$tools/bin/gitleaks
if [ ! -x "$gitleaks" ] && ! GOBIN=$tools/bin go install "github.com/zricethezav/gitleaks/v8@$GITLEAKS_VERSION" >&2; then
	note "gitleaks $GITLEAKS_VERSION could not be installed: its columns stay empty"
	gitleaks=
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/envsafe-scan.XXXXXX")
trap 'rm -rf "$work"' EXIT

# timed OUT_PREFIX CMD...: wall seconds and peak KiB of one run, appended
# to OUT_PREFIX.t and OUT_PREFIX.m.
timed() {
	out=$1
	shift
	python3 - "$out" "$@" <<'EOF'
import subprocess, sys, time
out, cmd = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
subprocess.run(["/usr/bin/time", "-f", "%M", "-o", out + ".peak"] + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
elapsed = time.perf_counter() - start
peak = open(out + ".peak").read().split()[-1]
open(out + ".t", "a").write("%.4f\n" % elapsed)
open(out + ".m", "a").write(peak + "\n")
EOF
}
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# envsafe's own peak: the same scan with `git log -p` replayed from a file
# by a stand-in git (cat), so the figure is not git's.
real_git=$(command -v git)
mkdir -p "$work/fakegit"
cat > "$work/fakegit/git" <<EOF
#!/bin/sh
case " \$* " in *" log -p "*) exec cat "\$REPLAY" ;; esac
exec $real_git "\$@"
EOF
chmod +x "$work/fakegit/git"
: > "$work/own.tsv"

echo "| commits | diff volume (\`git log -p -U0\`) | tool | median time | peak memory | time per MiB of diff |"
echo "|---:|---:|---|---:|---:|---:|"
: > "$work/found.tsv"
for n in $COMMITS; do
	h=$tools/histories/$n
	if [ ! -d "$h/.git" ]; then
		note "generating $n commits"
		rm -rf "$h"
		git init -q -b main "$h"
		python3 bench/genhistory.py "$n" | git -C "$h" fast-import --quiet
		git -C "$h" reset -q --hard main
	fi
	volume=$(git -C "$h" log -p --all -U0 --format=%H | wc -c)
	runs=$RUNS
	[ "$n" -ge 100000 ] && runs=1
	note "$n commits ($volume bytes of diff): $runs runs each"
	i=0
	while [ $i -lt "$runs" ]; do
		(cd "$h" && timed "$work/git.$n" git -c core.quotePath=false log -p --all --full-history --no-show-signature --format=%x01%H -U0 --no-color --no-ext-diff --no-textconv --no-renames --src-prefix=a/ --dst-prefix=b/)
		(cd "$h" && timed "$work/es.$n" "$envsafe" scan --history --json)
		if [ -n "$gitleaks" ]; then
			(cd "$h" && timed "$work/gl.$n" "$gitleaks" git --no-banner --report-format json --report-path "$work/gl.$n.json" .)
		fi
		i=$((i + 1))
	done
	(cd "$h" && "$envsafe" scan --history --json > "$work/es.$n.json" 2>/dev/null) || true
	(cd "$h" && git -c core.quotePath=false log -p --all --full-history --no-show-signature --format=%x01%H -U0 --no-color --no-ext-diff --no-textconv --no-renames --src-prefix=a/ --dst-prefix=b/ > "$work/replay")
	own=$(cd "$h" && REPLAY=$work/replay PATH=$work/fakegit:$PATH /usr/bin/time -f %M "$envsafe" scan --history --json 2>&1 >/dev/null | tail -n 1)
	printf '%s\t%s\t%s\n' "$n" "$volume" "$own" >> "$work/own.tsv"
	mib=$(echo "$volume" | awk '{ printf "%.1f", $1 / 1048576 }')
	for t in git es gl; do
		[ -f "$work/$t.$n.t" ] || continue
		case $t in
		git) name="git log -p alone (what envsafe reads)" ;;
		es) name="envsafe scan --history" ;;
		gl) name="gitleaks git ($GITLEAKS_VERSION)" ;;
		esac
		s=$(median "$work/$t.$n.t")
		m=$(median "$work/$t.$n.m")
		echo "$n $volume $name $s $m $mib" | awk '{ t = $(NF - 2); m = $(NF - 1); mib = $NF; name = $3; for (i = 4; i <= NF - 3; i++) name = name " " $i
			printf "| %s | %.1f MiB | %s | %.2f s | %.0f MiB | %.3f s |\n", $1, $2 / 1048576, name, t, m / 1024, t / mib }'
	done
	if [ -n "$gitleaks" ]; then
		git -C "$h" log --grep plant --format='%H %s' > "$work/plants.$n"
		python3 bench/scancompare.py "$work/plants.$n" "$work/es.$n.json" "$work/gl.$n.json" | sed "s/^/$n	/" >> "$work/found.tsv"
	fi
done
echo
echo "| commits | diff volume | envsafe scan --history's own peak memory (git log replayed from a file) |"
echo "|---:|---:|---:|"
awk -F '\t' '{ printf "| %s | %.1f MiB | %.1f MiB |\n", $1, $2 / 1048576, $3 / 1024 }' "$work/own.tsv"
if [ -s "$work/found.tsv" ]; then
	echo
	echo "| commits | planted secret | planted | found by envsafe | found by gitleaks |"
	echo "|---:|---|---:|---:|---:|"
	awk -F '\t' '{ printf "| %s | %s | %s | %s | %s |\n", $1, ($2 == "other" ? "findings outside the plants" : $2), $3, $4, $5 }' "$work/found.tsv"
fi
echo
echo "Machine: $(nproc) cores, $(uname -sr), git $(git --version | cut -d' ' -f3); load average $(cut -d' ' -f1-3 /proc/loadavg) at the end."
