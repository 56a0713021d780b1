package org.bess.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A short crash campaign: SIGKILLed workload, restart recovery, and the bank verified after every kill. */
@Timeout(300)
class CrashCampaignTest {
    @Test
    void shouldLoseNoAcknowledgedTransferAndShowNoUncommittedOneAcrossKills() throws Exception {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final boolean ok;
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            ok = new CrashCampaign(1, 3, 40, out).run();
        }
        final String report = bytes.toString(StandardCharsets.UTF_8);
        assertThat(ok).as(report).isTrue();
        assertThat(report)
                .containsPattern(
                        "crash-campaign: runs=3 kills=3 acked=[1-9][0-9]* lost=0 uncommitted-visible=0 check=ok");
    }
}
