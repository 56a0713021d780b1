package org.bess.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(240)
class DemoMainTest {
    @Test
    void shouldReportOkAfterTheProbeDiedOfSigsegvAndDeleteTheNodeDirectory() {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final int exitCode;
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            exitCode = DemoMain.run(out, false);
        }
        final String report = bytes.toString(StandardCharsets.UTF_8);

        assertThat(exitCode).as("exit code; report:%n%s", report).isZero();
        final String[] lines = report.split("\n", -1);
        assertThat(lines[lines.length - 2]).isEqualTo(DemoMain.OK_LINE);
        assertThat(report)
                .doesNotContain(DemoMain.FAILED_PREFIX)
                .contains("64 GiB of address space")
                .contains("r--s")
                .contains("names SIGSEGV")
                .contains("page 1 unchanged")
                .contains(DemoMain.SHIM_OK_LINE)
                .contains("walked 20,000 parts")
                .contains("check parts.root: ok")
                .contains("check suppliers.root: ok")
                .contains("inside a transaction after")
                .contains("rolledBack=true")
                .contains("on an account the killed transaction had locked")
                .contains("recovery=recovered")
                .contains("verified after the restart: all")
                .contains("total 20,000 unchanged")
                .contains("locks held")
                .contains("exit code 0")
                .contains("node-server tour: ok");

        // every process the node-server tour started (server twice, two clients) is gone, its shared memory too
        final Matcher pids = Pattern.compile("pid (\\d+)").matcher(report);
        int processes = 0;
        while (pids.find()) {
            final long pid = Long.parseLong(pids.group(1));
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
                    .as("process %d still alive", pid)
                    .isFalse();
            processes++;
        }
        assertThat(processes).isGreaterThanOrEqualTo(4);
        final Matcher shm = Pattern.compile("shared memory removed: (\\S+)").matcher(report);
        assertThat(shm.find()).isTrue();
        assertThat(Files.exists(Path.of(shm.group(1)))).isFalse();

        final Matcher nodeDir = Pattern.compile("node directory: (\\S+)").matcher(report);
        assertThat(nodeDir.find()).isTrue();
        assertThat(Path.of(nodeDir.group(1))).startsWithRaw(Path.of(System.getProperty("java.io.tmpdir")));
        assertThat(Files.exists(Path.of(nodeDir.group(1))))
                .as("node directory deleted")
                .isFalse();
    }

    @Test
    void shouldKeepTheNodeDirectoryWithTheCrashReportWhenAsked() throws Exception {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            assertThat(DemoMain.run(out, true)).isZero();
        }
        final Matcher kept =
                Pattern.compile("node directory kept: (\\S+)").matcher(bytes.toString(StandardCharsets.UTF_8));
        assertThat(kept.find()).isTrue();
        final Path dir = Path.of(kept.group(1));
        try {
            assertThat(Files.readString(dir.resolve("hs_err.log"))).contains("SIGSEGV");
        } finally {
            AdminSupport.deleteTree(dir);
        }
    }
}
