package org.bess.server.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;

/**
 * Coverage-guided fuzzing of the serialized catalog's decoder (TESTING.md row 10): any bytes give a catalog or a
 * {@code BAD_FORMAT} error naming the database; no other exception, and no allocation beyond what the bytes can hold
 * (a lying count fails before it allocates). {@code mvn verify} replays the corpus in {@code CatalogFuzzTestInputs};
 * {@code -Pfuzz} (README) fuzzes for a while.
 */
class CatalogFuzzTest {
    private static final String WHERE = "/db/fuzz.root";

    @FuzzTest(maxDuration = "60s")
    void decodesOrRefusesWithBadFormat(final byte[] bytes) {
        try {
            assertThat(Catalog.deserialize(bytes, WHERE)).isNotNull();
        } catch (final BessException e) {
            assertThat(e.errorCode()).as("%s", e).isEqualTo(ErrorCode.BAD_FORMAT);
            assertThat(e.getMessage()).contains("database=" + WHERE);
        }
    }
}
