#!/bin/sh
# bench/run.sh: whole-process benchmarks of `envsafe run` against its
# physical limits and its peers, at 10, 100, 1,000 and 10,000 secrets.
#
#   bench/run.sh                                # everything available
#   RUNS=50 SIZES="10 1000" bench/run.sh
#   scripts/with-test-keychain bench/run.sh     # adds the keychain rows
#   BENCH_OUT=bench.tsv bench/run.sh            # keep the raw figures (bench/chart.py draws them)
#
# Every figure is paired: the commands compared are run in alternation,
# round after round, the order rotating (bench/paired.py), so load that
# drifts during the run weighs on each alike; a ratio is the median of the
# per-round ratios, shown with its min and max. The limits:
#   floor   bench/execfloor: a bare static Go program that only execs the
#           same /bin/true with the same N variables;
#   age -d  the stock age CLI decrypting the same file, built the way
#           envsafe is (static, CGO_ENABLED=0, -trimpath), so like is
#           compared with like.
# Peers: sops exec-env (v3.13.3) and dotenvx run (@dotenvx/dotenvx 2.38.2);
# one that cannot be installed is reported as skipped. Needs python3 and
# GNU time (peak memory). It measures wall-clock time: it prints the
# machine and its load (1-minute average, before and after each group).
set -eu
cd "$(dirname "$0")/.."
repo=$(pwd)
RUNS=${RUNS:-30}
SIZES=${SIZES:-"10 100 1000 10000"}
DOTENVX_MAX=${DOTENVX_MAX:-1000}   # dotenvx takes minutes at 10,000
DOTENVX_RUNS=${DOTENVX_RUNS:-3}     # and 12 s a run at 1,000
SOPS_VERSION=v3.13.3
DOTENVX_VERSION=2.38.2
AGE_VERSION=$(sed -n 's/^AGE_VERSION := //p' Makefile)
tools=$repo/bench/.tools
mkdir -p "$tools/bin" "$tools/static"
PATH=$tools/bin:$repo/.bin:$PATH
export PATH

note() { echo "bench: $*" >&2; }

for cmd in python3 /usr/bin/time; do
	command -v "$cmd" >/dev/null 2>&1 || { note "missing $cmd (apt-get install python3 time)"; exit 1; }
done

note "building envsafe, the age tools and the floor"
make -s build tools >&2
# age as envsafe is built: static, trimmed.
[ -x "$tools/static/age" ] || CGO_ENABLED=0 GOBIN=$tools/static go install -trimpath "filippo.io/age/cmd/...@$AGE_VERSION"
CGO_ENABLED=0 go build -trimpath -o "$tools/bin/execfloor" ./bench/execfloor
# envsafe as `go install github.com/envsafe/envsafe/cmd/envsafe@latest`
# builds it: cgo (dynamic) where a C compiler is found, no build tags.
go build -o "$tools/bin/envsafe-goinstall" ./cmd/envsafe
# The plugin path: internal/crypt's test binary is age-plugin-envsafetest
# when started under that name (a test-only package, so not a main here).
go test -c -o "$tools/bin/age-plugin-envsafetest" ./internal/crypt

have_sops=no
if command -v sops >/dev/null 2>&1 || GOBIN=$tools/bin go install "github.com/getsops/sops/v3/cmd/sops@$SOPS_VERSION" >/dev/null 2>&1; then
	have_sops=yes
else
	note "sops could not be installed: skipped"
fi
have_dotenvx=no
dotenvx_version() { "$1" --version 2>/dev/null | tr -d 'v\n'; }
if [ -x "$tools/node_modules/.bin/dotenvx" ] && [ "$(dotenvx_version "$tools/node_modules/.bin/dotenvx")" = "$DOTENVX_VERSION" ]; then
	have_dotenvx=yes
elif command -v npm >/dev/null 2>&1 && npm install --prefix "$tools" --no-audit --no-fund --silent "@dotenvx/dotenvx@$DOTENVX_VERSION" >/dev/null 2>&1; then
	have_dotenvx=yes
else
	note "dotenvx $DOTENVX_VERSION could not be installed: skipped"
fi
[ "$have_dotenvx" = yes ] && ln -sf "$tools/node_modules/.bin/dotenvx" "$tools/bin/dotenvx"
have_keychain=no
if [ "${ENVSAFE_TEST_KEYCHAIN:-}" = 1 ]; then
	have_keychain=yes
else
	note "no private test keychain (run under scripts/with-test-keychain): keychain rows skipped"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/envsafe-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
results=$work/results.tsv   # size kind label median min max
peaks=$work/peaks.tsv       # size label KiB
loads=$work/loads.tsv       # load before after
: > "$results"
: > "$peaks"
: > "$loads"

# group SIZE RUNS ARGS...: one bench/paired.py group, its lines filed in
# the results.
group() {
	size=$1 runs=$2
	shift 2
	python3 "$repo/bench/paired.py" --runs "$runs" "$@" > "$work/group.out" || { note "a group at $size failed: $*"; return 0; }
	awk -F '\t' -v size="$size" -v res="$results" -v lo="$loads" '
		$1 == "load" { print $2 "\t" $3 >> lo; next }
		{ print size "\t" $0 >> res }' "$work/group.out"
}

# peak SIZE LABEL COMMAND: peak resident memory of one run, by GNU time.
peak() {
	kib=$(/usr/bin/time -f %M sh -c "exec $3" 2>&1 >/dev/null | tail -n 1)
	printf '%s\t%s\t%s\n' "$1" "$2" "$kib" >> "$peaks"
}

for n in $SIZES; do
	note "dataset of $n secrets"
	d=$work/$n
	mkdir -p "$d"
	cd "$d"
	awk -v n="$n" 'BEGIN { srand(n); c = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
		for (i = 0; i < n; i++) { v = ""; for (j = 0; j < 40; j++) v = v substr(c, int(rand() * 62) + 1, 1);
		printf "SECRET_%05d=%s\n", i, v } }' > production.env
	"$tools/static/age-keygen" -o key.txt 2>/dev/null
	ENVSAFE_IDENTITY=$(cat key.txt)
	export ENVSAFE_IDENTITY
	envsafe init -e production >/dev/null 2>&1
	cp -r .envsafe empty.envsafe
	envsafe import production.env -e production >/dev/null 2>&1
	file=$d/.envsafe/production.age
	run="envsafe run -e production -- /bin/true"
	floor="$tools/bin/execfloor $n /bin/true"
	age="$tools/static/age -d -i $d/key.txt $file"

	note "$n: run, floor, age -d, export, the go install build"
	group "$n" "$RUNS" --dir "$d" --cmd "run::$run" --cmd "floor::$floor" --cmd "age::$age" \
		--cmd "export::envsafe export -e production --format json" \
		--cmd "goinstall::$tools/bin/envsafe-goinstall run -e production -- /bin/true" \
		--ratio run/floor --ratio run/age+floor --ratio run/age --ratio goinstall/run --ratio export/age
	note "$n: set and import against run"
	group "$n" "$RUNS" --dir "$d" --cmd "run::$run" --cmd "set::envsafe set -e production BENCH_ONE=after" \
		--prepare "set::envsafe set -e production BENCH_ONE=before" \
		--cmd "import::envsafe import $d/production.env -e production" \
		--prepare "import::rm -rf $d/.envsafe && cp -r $d/empty.envsafe $d/.envsafe" \
		--ratio set/run --ratio import/run
	envsafe import production.env -e production --overwrite >/dev/null 2>&1 || true
	envsafe rm -e production BENCH_ONE >/dev/null 2>&1 || true
	peak "$n" run "$run"
	peak "$n" floor "$floor"
	peak "$n" age "$age"
	peak "$n" export "envsafe export -e production --format json"
	peak "$n" set "envsafe set -e production BENCH_ONE=after"
	envsafe rm -e production BENCH_ONE >/dev/null 2>&1 || true

	if [ "$have_keychain" = yes ]; then
		note "$n: keychain against ENVSAFE_IDENTITY"
		envsafe identity rm --yes >/dev/null 2>&1 || true
		envsafe identity import key.txt >/dev/null 2>&1
		group "$n" "$RUNS" --dir "$d" --cmd "run::$run" --cmd "keychain::-ENVSAFE_IDENTITY $run" --delta keychain-run --ratio keychain/run
		envsafe identity rm --yes >/dev/null 2>&1 || true
	fi

	if [ "$have_sops" = yes ]; then
		pub=$("$tools/static/age-keygen" -y key.txt)
		if sops --encrypt --age "$pub" --input-type dotenv --output-type dotenv production.env > production.sops.env 2>/dev/null; then
			note "$n: sops exec-env"
			group "$n" "$RUNS" --dir "$d" --cmd "run::$run" --cmd "sops::SOPS_AGE_KEY_FILE=$d/key.txt sops exec-env $d/production.sops.env /bin/true" --ratio sops/run
			peak "$n" sops "env SOPS_AGE_KEY_FILE=$d/key.txt sops exec-env $d/production.sops.env /bin/true"
		fi
	fi
	if [ "$have_dotenvx" = yes ] && [ "$n" -le "$DOTENVX_MAX" ]; then
		cp production.env .env.production
		if dotenvx encrypt -f .env.production >/dev/null 2>&1; then
			key=$(sed -n 's/^DOTENV_PRIVATE_KEY_PRODUCTION=//p' .env.keys | tr -d '"')
			runs=$RUNS
			[ "$n" -ge 1000 ] && runs=$DOTENVX_RUNS
			note "$n: dotenvx run ($runs rounds)"
			group "$n" "$runs" --warmup 1 --dir "$d" --cmd "run::$run" --cmd "dotenvx::DOTENV_PRIVATE_KEY_PRODUCTION=$key dotenvx run -q -f $d/.env.production -- /bin/true" --ratio dotenvx/run
			peak "$n" dotenvx "env DOTENV_PRIVATE_KEY_PRODUCTION=$key dotenvx run -q -f $d/.env.production -- /bin/true"
		fi
	fi

	# A hardware key's member, through its plugin (one more process start).
	"$tools/bin/age-plugin-envsafetest" --print-fixed > plugin-key.txt
	envsafe member add hw "$(sed -n 's/^# public key: //p' plugin-key.txt)" -e production --yes >/dev/null 2>&1
	note "$n: an age plugin identity"
	group "$n" "$RUNS" --dir "$d" --cmd "ageplugin::$tools/static/age -d -j envsafetest $file" \
		--cmd "runplugin::-ENVSAFE_IDENTITY ENVSAFE_IDENTITY_FILE=$d/plugin-key.txt $run" --ratio runplugin/ageplugin
	cd "$repo"
done

[ -n "${BENCH_OUT:-}" ] && cp "$results" "$BENCH_OUT"

# The tables.
awk -F '\t' -v peaks="$peaks" '
	BEGIN {
		while ((getline l < peaks) > 0) { split(l, f, "\t"); pk[f[1] "\t" f[2]] = f[3] }
		name["run"] = "envsafe run (ENVSAFE_IDENTITY)"
		name["floor"] = "floor: a bare static Go program that execs /bin/true with N variables"
		name["age"] = "age -d (static, as envsafe is built)"
		name["export"] = "envsafe export --format json"
		name["goinstall"] = "envsafe run, `go install` build (cgo, no tags)"
		name["set"] = "envsafe set (one secret)"
		name["import"] = "envsafe import (N-line .env)"
		name["keychain"] = "envsafe run (keychain)"
		name["sops"] = "sops exec-env"
		name["dotenvx"] = "dotenvx run"
		name["ageplugin"] = "age -d -j envsafetest (age plugin)"
		name["runplugin"] = "envsafe run (age plugin identity)"
	}
	$2 == "time" {
		k = $1 "\t" $3
		if (k in seen) next   # run is timed in several groups: the first
		seen[k] = 1
		order[++n] = k; med[k] = $4; lo[k] = $5; hi[k] = $6
	}
	$2 == "ratio" || $2 == "delta" { r[++m] = $0 }
	END {
		print "| secrets | command | median | fastest – slowest | peak memory |"
		print "|---:|---|---:|---:|---:|"
		for (i = 1; i <= n; i++) {
			split(order[i], f, "\t")
			p = (order[i] in pk) ? sprintf("%.1f MiB", pk[order[i]] / 1024) : ""
			printf "| %s | %s | %.1f ms | %.1f – %.1f ms | %s |\n", f[1], name[f[2]], med[order[i]], lo[order[i]], hi[order[i]], p
		}
		print ""
		print "| secrets | paired ratio (per round) | median | min | max |"
		print "|---:|---|---:|---:|---:|"
		for (i = 1; i <= m; i++) {
			split(r[i], f, "\t")
			if (f[2] == "delta")
				printf "| %s | `%s` (ms) | %+.1f ms | %+.1f | %+.1f |\n", f[1], f[3], f[4], f[5], f[6]
			else
				printf "| %s | `%s` | %.2f× | %.2f | %.2f |\n", f[1], f[3], f[4], f[5], f[6]
		}
	}' "$results"

echo
awk -F '\t' '
	$2 == "ratio" || $2 == "delta" { v[$1 " " $3] = $4 }
	function row(target, key, limit, unit,   s) {
		if (!(key in v)) { printf "| %s | not measured |\n", target; return }
		s = (v[key] <= limit) ? "met" : "**missed**"
		printf "| %s | %.2f%s | %s |\n", target, v[key], unit, s
	}
	END {
		print "| target | result | |"
		print "|---|---:|---|"
		row("`run` ≤ 1.3× floor, 10 secrets", "10 run/floor", 1.3, "×")
		row("`run` ≤ 1.3× floor, 100 secrets", "100 run/floor", 1.3, "×")
		row("`run` ≤ 1.3× floor, 1,000 secrets", "1000 run/floor", 1.3, "×")
		row("`run` ≤ 1.3× (age -d + floor), 10,000 secrets", "10000 run/age+floor", 1.3, "×")
		row("`set` of one secret ≤ 1.3× `run`, 10,000 secrets", "10000 set/run", 1.3, "×")
		row("keychain ≤ +5 ms, 100 secrets", "100 keychain-run", 5, " ms")
	}' "$results"

echo
load=$(awk -F '\t' 'NR == 1 { lo = hi = $1 } { for (i = 1; i <= 2; i++) { if ($i < lo) lo = $i; if ($i > hi) hi = $i } } END { printf "%.2f–%.2f", lo, hi }' "$loads")
model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
echo "Machine: $(nproc) cores (${model:-unknown CPU}), $(uname -sr), $(go version | cut -d' ' -f3); 1-minute load average $load during the run; $RUNS rounds per group ($DOTENVX_RUNS for dotenvx at 1,000+)."
