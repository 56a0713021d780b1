package org.bess.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Long recoveries print their progress (log bytes processed of the total) in {@code bess admin recover}'s output, and
 * a 1 GiB log recovers in a JVM with a 256 MiB heap. Both run {@code BessAdmin recover} in a child JVM, as the
 * launcher does, after a child that wrote the log halted without a checkpoint.
 */
@Timeout(1800)
class RecoverProgressTest {
    @TempDir
    Path dir;

    private int child(final Path out, final List<String> jvm, final Class<?> main, final String... args)
            throws IOException, InterruptedException {
        final List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-opens",
                "java.base/jdk.internal.misc=ALL-UNNAMED",
                "--add-opens",
                "java.base/java.nio=ALL-UNNAMED",
                "--add-opens",
                "java.base/sun.nio.ch=ALL-UNNAMED",
                "-XX:-CreateCoredumpOnCrash"));
        command.addAll(jvm);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(List.of(args));
        final Process p = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(out.toFile())
                .start();
        try {
            assertThat(p.waitFor(20, TimeUnit.MINUTES))
                    .as("%s finished", main.getSimpleName())
                    .isTrue();
            return p.exitValue();
        } finally {
            p.destroyForcibly();
        }
    }

    private String writeAndRecover(final int mib, final List<String> recoverJvm) throws Exception {
        final Path node = dir.resolve("node");
        final Path root = dir.resolve("db").resolve("long.root");
        Files.createDirectories(root.getParent());
        final Path writerOut = dir.resolve("writer.out");
        assertThat(child(writerOut, List.of(), LongLogChild.class, node.toString(), root.toString(), "" + mib))
                .as(Files.readString(writerOut))
                .isZero();
        final Path out = dir.resolve("recover.out");
        assertThat(child(out, recoverJvm, BessAdmin.class, "recover", "--node-dir", node.toString()))
                .as(Files.readString(out))
                .isZero();
        final String output = Files.readString(out);
        assertThat(output).contains("recovered: log bytes");
        final Path checkOut = dir.resolve("check.out");
        assertThat(child(checkOut, List.of(), BessAdmin.class, "check", "--db", root.toString(), "--quiet"))
                .as(Files.readString(checkOut))
                .isZero();
        return output;
    }

    @Test
    void shouldPrintRecoveryProgressInTheRecoverCommandOutput() throws Exception {
        final String output = writeAndRecover(6, List.of("-Dbess.recovery.progress.bytes=1048576"));
        assertThat(output.lines()
                        .filter(l -> l.contains("recovery: redo processed"))
                        .count())
                .as(output)
                .isGreaterThanOrEqualTo(4);
        assertThat(output).containsPattern("recovery: redo processed \\d+ of \\d+ log bytes");
    }

    @Test
    @Tag("slow")
    void shouldRecoverAOneGibLogWithA256MibHeap() throws Exception {
        final String output = writeAndRecover(1024, List.of("-Xmx256m"));
        assertThat(output.lines()
                        .filter(l -> l.contains("recovery: redo processed"))
                        .count())
                .as(output)
                .isGreaterThanOrEqualTo(15);
        System.out.println(
                output.lines().filter(l -> l.contains("recovered:")).findFirst().orElse(output));
    }
}
