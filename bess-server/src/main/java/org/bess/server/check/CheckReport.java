package org.bess.server.check;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** What a check found: one line per problem, and what it looked at. */
public final class CheckReport {
    private static final int MAX_PROBLEMS = 10_000;

    private final List<String> problems = new ArrayList<>();
    private int omitted;
    long areas;
    long extents;
    long files;
    long segments;
    long objects;
    long references;
    long dataPages;
    long largeObjects;
    long largeBytes;
    long largeSegments;
    long largeNodes;

    void problem(final String line) {
        if (problems.size() < MAX_PROBLEMS) {
            problems.add(line);
        } else {
            omitted++;
        }
    }

    /** The problems, one line each; empty when the database is healthy. */
    public List<String> problems() {
        return Collections.unmodifiableList(problems);
    }

    /** Whether no problem was found. */
    public boolean healthy() {
        return problems.isEmpty();
    }

    /** Problems beyond the first 10,000, counted but not listed. */
    public int omitted() {
        return omitted;
    }

    /** One summary line. */
    public String summary() {
        return (healthy() ? "ok" : "DAMAGED: " + (problems.size() + omitted) + " problem(s)") + ": areas=" + areas
                + ", extents=" + extents + ", files=" + files + ", segments=" + segments + ", objects=" + objects
                + ", references=" + references + ", dataPages=" + dataPages + ", largeObjects=" + largeObjects
                + ", largeBytes=" + largeBytes + ", largeSegments=" + largeSegments + ", largeNodes=" + largeNodes;
    }
}
