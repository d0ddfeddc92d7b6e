#!/bin/sh
# bench/signed.sh [RUNS]: `envsafe run` of a 100-secret environment in a
# signed project against the same in an unsigned one, paired (bench/paired.py),
# after one warm-up run each (a machine's first signed read checks every
# signature; later ones skip the Ed25519 checks of bytes it already checked).
# The signed-environments target: B/A within 1.05 on an idle machine.
set -eu
cd "$(dirname "$0")/.."
runs=${1:-200}
make -s build
PATH=$PWD/.bin:$PATH
work=$(mktemp -d "${TMPDIR:-/tmp}/envsafe-signed.XXXXXX")
trap 'rm -rf "$work"' EXIT
export HOME="$work/home" ENVSAFE_IDENTITY_FILE="$work/key.txt" GIT_CONFIG_NOSYSTEM=1
mkdir "$HOME"
envsafe identity new --file "$ENVSAFE_IDENTITY_FILE" >/dev/null 2>&1
i=1
while [ $i -le 100 ]; do echo "SECRET_$i=value-$i-$(printf '%030d' $i)"; i=$((i + 1)); done > "$work/secrets.env"
for p in unsigned signed; do
	mkdir "$work/$p"
	(cd "$work/$p" && git init -q && envsafe init --name alice -e production >/dev/null 2>&1 &&
		envsafe import "$work/secrets.env" -e production >/dev/null 2>&1)
done
(cd "$work/signed" && envsafe trust init --yes >/dev/null 2>&1)
for p in unsigned signed; do (cd "$work/$p" && envsafe run -e production -- /bin/true); done
echo "A = unsigned, B = signed: envsafe run -e production -- /bin/true, 100 secrets"
python3 bench/paired.py "$runs" "$work/unsigned" "envsafe run -e production -- /bin/true" "$work/signed" "envsafe run -e production -- /bin/true"
