#!/bin/bash
# One run of a durable-commit benchmark with the per-commit system counts, for alternated A/B pairs:
#   tests/scripts/durable-commit-ab.sh LABEL JAR NN OUTDIR     (NN: 01 02 04 08 16)
# e.g. for i in 1 2 3; do $0 base /tmp/base/benchmarks.jar 16 /tmp/ab; $0 new tests/target/benchmarks.jar 16 /tmp/ab; done
# Runs 'DurableCommitNNBenchmark.bessCommit$' (-f 1 -wi 3 -i 5 -w 1s -r 2s) with its metrics file, and `perf stat`
# (software events only) on the JMH fork for 6 s from about the first measurement iteration. Prints one line:
# commits/s, group size, flush and gather (us per flush), then CPU, context switches, futex and mprotect calls per
# commit (commits = fdatasyncs x group size).
set -u
label=$1; jar=$2; nn=$3; out=$4
mkdir -p "$out"
tag=$out/$label-$nn-$(date +%H%M%S)
java -Djmh.ignoreLock=true -jar "$jar" "DurableCommit${nn}Benchmark.bessCommit\$" -p objects=1 -f 1 -wi 3 -i 5 \
    -w 1s -r 2s -bm thrpt -tu s -jvmArgsPrepend "-Dbess.bench.metrics=$tag.metrics" > "$tag.out" 2>&1 &
host=$!
fork=""
for _ in $(seq 1 60); do
    sleep 0.5
    fork=$(pgrep -P "$host" -f ForkedMain | head -1)
    [ -n "$fork" ] && break
done
sleep 7
if [ -n "$fork" ]; then
    perf stat -x, -e task-clock,context-switches,syscalls:sys_enter_fdatasync,syscalls:sys_enter_futex \
        -e syscalls:sys_enter_mprotect -p "$fork" -- sleep 6 2> "$tag.perf"
fi
wait "$host"
python3 - "$tag" "$label" "$nn" <<'PY'
import sys
tag, label, nn = sys.argv[1:4]
m = {}
for line in open(tag + ".metrics"):
    f = line.rstrip("\n").split("\t")
    if len(f) >= 4:
        m[f[2]] = float(f[3])
p = {}
try:
    for line in open(tag + ".perf"):
        f = line.split(",")
        if len(f) > 2 and f[0].replace(".", "").isdigit():
            p[f[2].split(":")[-1]] = float(f[0])
except OSError:
    pass
s = "%s %s commits/s=%.0f group=%.2f flush=%.0fus gather=%.0fus" % (
    label, nn, m.get("commitsPerSec", 0), m.get("groupSize", 0), m.get("flushMicros", 0), m.get("gatherMicros", 0))
commits = p.get("sys_enter_fdatasync", 0) * m.get("groupSize", 0)
if commits:
    s += " cpu=%.1fus cs=%.2f futex=%.2f mprotect=%.2f per commit" % (
        p["task-clock"] * 1000 / commits, p["context-switches"] / commits, p["sys_enter_futex"] / commits,
        p["sys_enter_mprotect"] / commits)
with open("/proc/loadavg") as f:
    s += " load=" + f.read().split()[0]
print(s)
PY
