#!/bin/sh
# bench/run.sh: whole-process benchmarks of envsafe beside its limit (the
# stock `age -d` of the same file) and its peers (sops exec-env, dotenvx run),
# at 10, 100, 1,000 and 10,000 secrets. Prints one markdown table: per size,
# each tool's median time, its ratio to `age -d`, and its peak memory.
#
#   bench/run.sh                 # everything available
#   RUNS=30 SIZES="10 1000" bench/run.sh
#   scripts/with-test-keychain bench/run.sh   # adds the keychain row
#
# Peers that cannot be installed are reported as skipped. Needs hyperfine,
# jq and GNU time (apt-get install hyperfine jq time); installs them when it
# can. Run it on a quiet machine: it measures wall-clock time.
set -eu
cd "$(dirname "$0")/.."
repo=$(pwd)
RUNS=${RUNS:-30}
SIZES=${SIZES:-"10 100 1000 10000"}
DOTENVX_MAX=${DOTENVX_MAX:-1000}   # dotenvx takes minutes at 10,000
tools=$repo/bench/.tools
mkdir -p "$tools/bin"
PATH=$tools/bin:$repo/.bin:$PATH
export PATH

note() { echo "bench: $*" >&2; }

need() {
	for cmd in "$@"; do
		command -v "$cmd" >/dev/null 2>&1 && continue
		if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
			note "installing $cmd"
			case $cmd in time) pkg=time ;; *) pkg=$cmd ;; esac
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null 2>&1 || true
		fi
	done
}
need hyperfine jq
[ -x /usr/bin/time ] || need time
for cmd in hyperfine jq /usr/bin/time; do
	command -v "$cmd" >/dev/null 2>&1 || { note "missing $cmd: apt-get install hyperfine jq time"; exit 1; }
done

note "building envsafe and the age tools"
make -s build tools >&2
CGO_ENABLED=0 go build -o "$tools/bin/execfloor" ./bench/execfloor
CGO_ENABLED=0 go build -o "$tools/bin/noop" ./bench/noop
# The plugin path: internal/crypt's test binary is age-plugin-envsafetest
# when started under that name (a test-only package, so not a main here).
go test -c -o "$tools/bin/age-plugin-envsafetest" ./internal/crypt

have_sops=no
if command -v sops >/dev/null 2>&1 || GOBIN=$tools/bin go install github.com/getsops/sops/v3/cmd/sops@v3.13.3 >/dev/null 2>&1; then
	have_sops=yes
else
	note "sops could not be installed: skipped"
fi
have_dotenvx=no
if [ -x "$tools/node_modules/.bin/dotenvx" ] || (command -v npm >/dev/null 2>&1 &&
	npm install --prefix "$tools" --no-audit --no-fund --silent @dotenvx/dotenvx >/dev/null 2>&1); then
	ln -sf "$tools/node_modules/.bin/dotenvx" "$tools/bin/dotenvx"
	have_dotenvx=yes
else
	note "dotenvx could not be installed: skipped"
fi
have_keychain=no
if [ "${ENVSAFE_TEST_KEYCHAIN:-}" = 1 ]; then
	have_keychain=yes
else
	note "no private test keychain (run under scripts/with-test-keychain): keychain row skipped"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/envsafe-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
results=$work/results.tsv
: > "$results"

# measure NAME SIZE COMMAND [PREPARE]: median (ms) by hyperfine, peak RSS
# (MiB) by GNU time, appended to the results. PREPARE is a shell command run
# before each timed run (hyperfine -N runs commands without a shell).
measure() {
	name=$1 size=$2 cmd=$3 prep=${4:-}
	json=$work/h.json
	runs=${RUNS_OVERRIDE:-$RUNS}
	if [ -n "$prep" ]; then
		printf '%s\n' "$prep" > "$work/prepare.sh"
		hyperfine -N --style none --warmup 2 --runs "$runs" --prepare "sh $work/prepare.sh" --export-json "$json" "$cmd" >/dev/null 2>&1 || { note "$name at $size failed"; return; }
		sh "$work/prepare.sh" >/dev/null 2>&1
	else
		hyperfine -N --style none --warmup 2 --runs "$runs" --export-json "$json" "$cmd" >/dev/null 2>&1 || { note "$name at $size failed"; return; }
	fi
	median=$(jq '.results[0].median * 1000' "$json")
	peak=$(/usr/bin/time -f %M sh -c "exec $cmd" 2>&1 >/dev/null | tail -n 1)
	printf '%s\t%s\t%s\t%s\n' "$size" "$name" "$median" "$peak" >> "$results"
}

for n in $SIZES; do
	note "dataset of $n secrets"
	d=$work/$n
	mkdir -p "$d"
	cd "$d"
	awk -v n="$n" 'BEGIN { srand(n); c = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
		for (i = 0; i < n; i++) { v = ""; for (j = 0; j < 40; j++) v = v substr(c, int(rand() * 62) + 1, 1);
		printf "SECRET_%05d=%s\n", i, v } }' > production.env
	age-keygen -o key.txt 2>/dev/null
	ENVSAFE_IDENTITY=$(cat key.txt)
	export ENVSAFE_IDENTITY
	envsafe init -e production >/dev/null 2>&1
	cp -r .envsafe empty.envsafe
	envsafe import production.env -e production >/dev/null 2>&1
	file=$d/.envsafe/production.age

	measure "age -d (the limit)" "$n" "age -d -i $d/key.txt $file"
	measure "exec of a no-op program with $n variables (kernel floor)" "$n" "$tools/bin/execfloor $n $tools/bin/noop"
	measure "envsafe run (ENVSAFE_IDENTITY)" "$n" "envsafe run -e production -- /bin/true"
	measure "envsafe set (one secret)" "$n" "envsafe set -e production BENCH_ONE=after" "envsafe set -e production BENCH_ONE=before"
	measure "envsafe import ($n-line .env)" "$n" "envsafe import $d/production.env -e production" "rm -rf $d/.envsafe && cp -r $d/empty.envsafe $d/.envsafe"
	envsafe import production.env -e production --overwrite >/dev/null 2>&1 || true
	measure "envsafe export --format json" "$n" "envsafe export -e production --format json"

	if [ "$have_keychain" = yes ]; then
		envsafe identity rm --yes >/dev/null 2>&1 || true
		envsafe identity import key.txt >/dev/null 2>&1
		unset ENVSAFE_IDENTITY
		measure "envsafe run (keychain)" "$n" "envsafe run -e production -- /bin/true"
		envsafe identity rm --yes >/dev/null 2>&1 || true
		export ENVSAFE_IDENTITY
		ENVSAFE_IDENTITY=$(cat key.txt)
	fi

	# A hardware key's member, through its plugin (one more process start).
	"$tools/bin/age-plugin-envsafetest" --print-fixed > plugin-key.txt
	envsafe member add hw "$(sed -n 's/^# public key: //p' plugin-key.txt)" -e production --yes >/dev/null 2>&1
	measure "age -d -j envsafetest (age plugin)" "$n" "age -d -j envsafetest $file"
	measure "envsafe run (age plugin identity)" "$n" "env -u ENVSAFE_IDENTITY ENVSAFE_IDENTITY_FILE=$d/plugin-key.txt envsafe run -e production -- /bin/true"

	if [ "$have_sops" = yes ]; then
		pub=$(age-keygen -y key.txt)
		sops --encrypt --age "$pub" --input-type dotenv --output-type dotenv production.env > production.sops.env 2>/dev/null &&
			SOPS_AGE_KEY_FILE=$d/key.txt measure "sops exec-env" "$n" "env SOPS_AGE_KEY_FILE=$d/key.txt sops exec-env $d/production.sops.env /bin/true"
	fi
	if [ "$have_dotenvx" = yes ] && [ "$n" -le "$DOTENVX_MAX" ]; then
		cp production.env .env.production
		dotenvx encrypt -f .env.production >/dev/null 2>&1 &&
			key=$(sed -n 's/^DOTENV_PRIVATE_KEY_PRODUCTION=//p' .env.keys | tr -d '"') &&
			RUNS_OVERRIDE=$([ "$n" -ge 1000 ] && echo 3 || echo "$RUNS") \
				measure "dotenvx run" "$n" "env DOTENV_PRIVATE_KEY_PRODUCTION=$key dotenvx run -q -f $d/.env.production -- /bin/true"
	elif [ "$have_dotenvx" = yes ]; then
		printf '%s\t%s\t%s\t%s\n' "$n" "dotenvx run" "skipped" "-" >> "$results"
	fi
	cd "$repo"
done

# The table: ratio to age -d of the same size.
echo "| secrets | command | median | vs age -d | peak memory |"
echo "|---:|---|---:|---:|---:|"
awk -F '\t' '
	$2 ~ /^age -d/ { base[$1] = $3 }
	{ rows[NR] = $0 }
	END {
		for (i = 1; i <= NR; i++) {
			split(rows[i], f, "\t")
			if (f[3] == "skipped") { printf "| %s | %s | skipped | | |\n", f[1], f[2]; continue }
			printf "| %s | %s | %.1f ms | %.2f× | %.1f MiB |\n", f[1], f[2], f[3], f[3] / base[f[1]], f[4] / 1024
		}
	}' "$results"
echo
echo "Machine: $(nproc) cores, $(uname -sr), $(go version | cut -d' ' -f3), $(hyperfine --version), $RUNS runs per command."
