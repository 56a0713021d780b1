package org.bess.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(300)
class ClientCampaignTest {
    @Test
    void shouldKillClientsOfBothModesAndReportNothingLostLeakedOrVisible() throws Exception {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final boolean ok;
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            ok = new ClientCampaign(1, 3, 20, out).run();
        }
        final String line = bytes.toString(StandardCharsets.UTF_8).trim();
        assertThat(line)
                .matches("client-campaign: modes=shared,copy kills=5 lost=0 leaked-locks=0 leaked-pins=0 "
                        + "uncommitted-visible=0 check=ok");
        assertThat(ok).isTrue();
    }
}
