#!/usr/bin/env bash
# tests/shared-mount.sh: many writers on a store in a folder shared over the network.
#
# Starts an OpenSSH server on loopback (its own host key, client key and port, in a temporary
# folder) and mounts one folder TWICE with sshfs. The two mounts behave as two machines sharing a
# network folder: a lock taken through one mount is not seen through the other. Then, into one
# store in that folder, several rounds each of
#   - 4 concurrent `testsift ingest`s, 2 through each mount, of different runs;
#   - 4 concurrent `testsift ingest`s whose runs overlap (two of them ingest the same runs);
#   - 2 concurrent `testsift merge`s of the same two stores, one through each mount;
# and checks after each round that `stats` and `flaky --format json` equal those of a store built
# in one go, that no run is stored twice (merging the store into an empty one adds each run once)
# and that `testsift verify` passes.
#
# Needs /dev/fuse, sshfs and sshd (scripts/install-sshfs.sh installs them). When any is missing
# it fails (exit 2) and says so: it never passes without having run.
#
# Usage: tests/shared-mount.sh [TESTSIFT_BINARY]   (default: builds and uses target/debug/testsift)
# Exit: 0 all rounds passed, 1 a check failed, 2 the mounts could not be set up.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
rounds="${SHARED_MOUNT_ROUNDS:-3}"

fail_setup() {
    echo "shared-mount.sh: error: $*" >&2
    exit 2
}

bin="${1:-}"
if [ -z "$bin" ]; then
    (cd "$root" && cargo build --quiet --bin testsift)
    bin="${CARGO_TARGET_DIR:-$root/target}/debug/testsift"
fi
[ -x "$bin" ] || fail_setup "$bin: no testsift binary there"
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"

[ -c /dev/fuse ] || fail_setup "/dev/fuse is missing: FUSE is not available here, so the shared-mount test cannot run (in a container, pass --device /dev/fuse --cap-add SYS_ADMIN)"
command -v sshfs >/dev/null 2>&1 || fail_setup "sshfs is not installed (run scripts/install-sshfs.sh)"
sshd_bin="$(command -v sshd || true)"
[ -n "$sshd_bin" ] || sshd_bin=/usr/sbin/sshd
[ -x "$sshd_bin" ] || fail_setup "sshd is not installed (run scripts/install-sshfs.sh)"
if command -v fusermount3 >/dev/null 2>&1; then unmount="fusermount3 -u"; else unmount="fusermount -u"; fi

work="$(mktemp -d "${TMPDIR:-/tmp}/testsift-shared.XXXXXX")"
sshd_pid=""
cleanup() {
    for m in "$work/m1" "$work/m2"; do
        if mountpoint -q "$m" 2>/dev/null; then $unmount "$m" || $unmount -z "$m" || true; fi
    done
    if [ -n "$sshd_pid" ]; then kill "$sshd_pid" 2>/dev/null || true; wait "$sshd_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# ---- an sshd of our own on loopback, key authentication only ----
user="$(id -un)"
ssh-keygen -q -t ed25519 -N '' -f "$work/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$work/client_key"
cp "$work/client_key.pub" "$work/authorized_keys"
chmod 600 "$work/authorized_keys"
# sshd's privilege separation folder (Debian's sshd refuses to start without it).
[ -d /run/sshd ] || mkdir -p /run/sshd 2>/dev/null || sudo -n mkdir -p /run/sshd 2>/dev/null || true
port=""
for try in 1 2 3 4 5; do
    candidate=$((20000 + (RANDOM % 20000)))
    cat >"$work/sshd_config" <<CONF
Port $candidate
ListenAddress 127.0.0.1
HostKey $work/host_key
AuthorizedKeysFile $work/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
PidFile $work/sshd.pid
Subsystem sftp internal-sftp
CONF
    "$sshd_bin" -D -e -f "$work/sshd_config" 2>"$work/sshd.log" &
    sshd_pid=$!
    ssh_opts=(-o IdentityFile="$work/client_key" -o StrictHostKeyChecking=no
        -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR -p "$candidate")
    for _ in $(seq 1 50); do
        if ssh "${ssh_opts[@]}" "$user@127.0.0.1" true 2>/dev/null; then
            port="$candidate"
            break
        fi
        kill -0 "$sshd_pid" 2>/dev/null || break
        sleep 0.1
    done
    [ -n "$port" ] && break
    kill "$sshd_pid" 2>/dev/null || true
    wait "$sshd_pid" 2>/dev/null || true
    sshd_pid=""
done
[ -n "$port" ] || fail_setup "could not start sshd on loopback: $(cat "$work/sshd.log")"

# ---- the shared folder, mounted twice ----
mkdir -p "$work/shared" "$work/m1" "$work/m2" "$work/local"
for m in m1 m2; do
    sshfs "$user@127.0.0.1:$work/shared" "$work/$m" -p "$port" \
        -o IdentityFile="$work/client_key" -o StrictHostKeyChecking=no \
        -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR ||
        fail_setup "sshfs could not mount $work/shared on $work/$m"
    mountpoint -q "$work/$m" || fail_setup "$work/$m is not a mount point after sshfs"
done
# Two mounts, one folder: a file made through one is seen through the other and locally.
echo probe >"$work/m1/probe"
[ "$(cat "$work/m2/probe")" = probe ] && [ -f "$work/shared/probe" ] ||
    fail_setup "the two mounts do not show the same folder"
rm "$work/m1/probe"

# ---- the expected answers: the history ingested at once, on the local disk ----
history="$root/fixtures/history"
run_path() { if [ "$1" -eq 25 ]; then echo "$history/run-25.zip"; else printf '%s/run-%02d\n' "$history" "$1"; fi; }
runs() { for n in $(seq "$1" "$2"); do run_path "$n"; done; }
# Every ingest here takes several runs, so the CI's variables (which name one run) are not read.
unset TESTSIFT_STORE

"$bin" ingest $(runs 1 25) --run-depth 0 --quiet --store "$work/local/whole"
"$bin" stats --format json --store "$work/local/whole" >"$work/expected.stats"
"$bin" flaky --format json --store "$work/local/whole" >"$work/expected.flaky"
once() { # the line merge prints when it copies STORE into an empty store, without the path
    "$bin" merge "$1" --store "$2" 2>&1 >/dev/null | sed 's/^testsift: [^:]*: //'
}
once "$work/local/whole" "$work/local/whole-copy" >"$work/expected.once"
"$bin" ingest $(runs 1 14) --run-depth 0 --quiet --store "$work/local/a"
"$bin" ingest $(runs 10 25) --run-depth 0 --quiet --store "$work/local/b"

failures=0
check_round() { # NAME STORE(local path of the shared store)
    local name="$1" store="$2" problems=""
    for m in m1 m2; do
        "$bin" verify --store "$work/$m/${store#"$work/shared/"}" >"$work/verify.out" 2>&1 ||
            problems+=" verify through $m failed: $(head -c 600 "$work/verify.out");"
    done
    "$bin" stats --format json --store "$store" >"$work/got.stats" 2>"$work/got.err" ||
        problems+=" stats failed: $(cat "$work/got.err");"
    cmp -s "$work/got.stats" "$work/expected.stats" ||
        problems+=" stats differ: $(tr -d ' \n' <"$work/got.stats" | head -c 200) (expected $(tr -d ' \n' <"$work/expected.stats" | head -c 200));"
    "$bin" flaky --format json --store "$store" >"$work/got.flaky" 2>"$work/got.err" ||
        problems+=" flaky failed: $(cat "$work/got.err");"
    cmp -s "$work/got.flaky" "$work/expected.flaky" || problems+=" flaky --format json differs;"
    rm -rf "$work/local/copy"
    once "$store" "$work/local/copy" >"$work/got.once" || true
    cmp -s "$work/got.once" "$work/expected.once" ||
        problems+=" copied once into an empty store: '$(cat "$work/got.once")' (expected '$(cat "$work/expected.once")');"
    if [ -n "$problems" ]; then
        echo "FAIL $name:$problems"
        failures=$((failures + 1))
    else
        echo "ok   $name"
    fi
}

wait_all() { # NAME PID...: waits for every writer; a writer that fails is a failed round
    local name="$1" ok=0
    shift
    for pid in "$@"; do
        if ! wait "$pid"; then ok=1; fi
    done
    if [ "$ok" -ne 0 ]; then
        echo "FAIL $name: a writer exited with an error:"
        cat "$work"/writer-*.err | sed 's/^/    /' | head -20
        failures=$((failures + 1))
    fi
}

ingest_via() { # MOUNT STORE FIRST LAST N
    "$bin" ingest $(runs "$3" "$4") --run-depth 0 --quiet --store "$work/$1/$2" 2>"$work/writer-$5.err"
}

started=$SECONDS
for round in $(seq 1 "$rounds"); do
    s="ingest-$round"
    ingest_via m1 "$s" 1 6 1 & p1=$!
    ingest_via m2 "$s" 7 12 2 & p2=$!
    ingest_via m1 "$s" 13 18 3 & p3=$!
    ingest_via m2 "$s" 19 25 4 & p4=$!
    wait_all "4 ingests, round $round" $p1 $p2 $p3 $p4
    check_round "4 concurrent ingests of different runs, round $round" "$work/shared/$s"
done
for round in $(seq 1 "$rounds"); do
    s="overlap-$round"
    ingest_via m1 "$s" 1 8 1 & p1=$!
    ingest_via m2 "$s" 7 14 2 & p2=$!
    ingest_via m1 "$s" 13 20 3 & p3=$!
    ingest_via m2 "$s" 19 25 4 & p4=$!
    wait_all "4 overlapping ingests, round $round" $p1 $p2 $p3 $p4
    check_round "4 concurrent ingests, two of them of the same runs, round $round" "$work/shared/$s"
done
for round in $(seq 1 "$rounds"); do
    s="merge-$round"
    "$bin" merge "$work/local/a" "$work/local/b" --quiet --store "$work/m1/$s" 2>"$work/writer-1.err" & p1=$!
    "$bin" merge "$work/local/b" "$work/local/a" --quiet --store "$work/m2/$s" 2>"$work/writer-2.err" & p2=$!
    rm -f "$work"/writer-3.err "$work"/writer-4.err
    wait_all "2 merges, round $round" $p1 $p2
    check_round "2 concurrent merges, one through each mount, round $round" "$work/shared/$s"
done
echo "shared-mount.sh: $((3 * rounds)) rounds in $((SECONDS - started)) s, $failures failures"
[ "$failures" -eq 0 ]
