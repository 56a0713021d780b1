#!/usr/bin/env python3
"""Aggregates the execution samples of a JFR recording: the top frames (self time) and the methods on the stack
(inclusive time) of the benchmark threads, as shares of their samples.

usage: jfr print --events jdk.ExecutionSample x.jfr | tests/scripts/jfr-top-frames.py [THREAD_SUBSTRING] [N]

THREAD_SUBSTRING (default "jmh-worker") keeps the samples of the threads whose name contains it; N (default 15) is
the number of rows of each table. Frames are named Class.method (the line numbers are dropped).
"""
import re
import sys
from collections import Counter

FRAME = re.compile(r"^\s+([\w$.<>/]+)\(.*\)\s+line:")


def main():
    thread_filter = sys.argv[1] if len(sys.argv) > 1 else "jmh-worker"
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    self_counts, inclusive, total = Counter(), Counter(), 0
    thread, frames, in_stack = "", [], False
    for line in sys.stdin:
        stripped = line.strip()
        if stripped.startswith("jdk.ExecutionSample"):
            thread, frames, in_stack = "", [], False
        elif stripped.startswith("sampledThread"):
            thread = stripped
        elif stripped.startswith("stackTrace = ["):
            in_stack = True
        elif in_stack and stripped == "]":
            in_stack = False
        elif in_stack:
            m = FRAME.match(line)
            if m:
                frames.append(m.group(1))
        elif stripped == "}" and frames:
            if thread_filter in thread:
                total += 1
                self_counts[frames[0]] += 1
                for f in set(frames):
                    inclusive[f] += 1
            frames = []
    if total == 0:
        sys.exit("no execution samples of threads containing '%s'" % thread_filter)
    print("%d samples of threads containing '%s' (JFR truncates stacks at 64 frames)" % (total, thread_filter))
    print("\ntop frames (self):")
    for name, n in self_counts.most_common(rows):
        print("%6.1f%%  %s" % (100.0 * n / total, name))
    print("\non the stack (inclusive), org.bess frames:")
    for name, n in [(k, v) for k, v in inclusive.most_common() if k.startswith("org.bess")][:rows]:
        print("%6.1f%%  %s" % (100.0 * n / total, name))


if __name__ == "__main__":
    main()
