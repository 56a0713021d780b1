package org.bess.nativeshim;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a main class of this class path in a child JVM and collects its exit code, output and crash report. */
final class ChildJvm {
    private ChildJvm() {}

    /** The outcome of a child run. */
    record Result(int exitCode, String output, String crashReport) {}

    static Result run(final Path workDir, final Class<?> mainClass, final String... args)
            throws IOException, InterruptedException {
        final Path errorFile = workDir.resolve("hs_err_child.log");
        final Path outFile = workDir.resolve("child.out");
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-XX:-CreateCoredumpOnCrash");
        command.add("-XX:ErrorFile=" + errorFile);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass.getName());
        command.addAll(List.of(args));
        final Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(outFile.toFile())
                .start();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                throw new AssertionError("child JVM did not finish in 60 s: " + command);
            }
        } finally {
            process.destroyForcibly();
        }
        final String output = Files.readString(outFile, StandardCharsets.UTF_8);
        final String crash = Files.exists(errorFile) ? Files.readString(errorFile, StandardCharsets.UTF_8) : "";
        return new Result(process.exitValue(), output, crash);
    }
}
