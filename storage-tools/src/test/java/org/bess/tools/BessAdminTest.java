package org.bess.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class BessAdminTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(final String... args) {
        return BessAdmin.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    @Test
    void shouldPrintUsageListingTheComingCommandsWhenAskedForHelp() {
        assertThat(run("--help")).isZero();
        assertThat(out.toString())
                .startsWith("Usage: bess-admin")
                .contains("--help", "--version")
                .contains("create-db", "add-area", "remove-area", "list-areas", "list-files", "move-file")
                .contains("compact", "check")
                .contains("arrive with the storage engine");
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void shouldPrintTheProjectVersion() {
        assertThat(run("--version")).isZero();
        assertThat(out.toString())
                .startsWith("bess-admin ")
                .doesNotContain("${")
                .doesNotContain("unknown");
    }

    @Test
    void shouldExitWithTwoAndOneLineWhenTheCommandIsUnknown() {
        assertThat(run("frobnicate")).isEqualTo(2);
        assertThat(err.toString().lines())
                .containsExactly("bess-admin: unknown command 'frobnicate' (see 'bess-admin --help')");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void shouldSayThatACommandArrivesWithTheStorageEngineWhenItIsNotBuiltYet() {
        assertThat(run("create-db", "/tmp/x")).isEqualTo(2).isEqualTo(BessAdmin.USAGE_ERROR_EXIT_CODE);
        assertThat(err.toString().lines())
                .containsExactly("bess-admin: unknown command 'create-db': it arrives with the storage engine"
                        + " (see 'bess-admin --help')");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void shouldExitWithTwoAndOneLineWhenTheOptionIsUnknown() {
        assertThat(run("--frobnicate")).isEqualTo(2);
        assertThat(err.toString().lines()).hasSize(1);
        assertThat(err.toString())
                .contains("--frobnicate")
                .doesNotContain("Exception")
                .doesNotContain("\tat ");
    }

    @Test
    void shouldPrintUsageToTheErrorStreamAndExitWithTwoWithoutACommand() {
        assertThat(run()).isEqualTo(2);
        assertThat(err.toString()).startsWith("Usage: bess-admin");
        assertThat(out.toString()).isEmpty();
    }
}
