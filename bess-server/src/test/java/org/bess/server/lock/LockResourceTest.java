package org.bess.server.lock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.junit.jupiter.api.Test;

class LockResourceTest {
    @Test
    void shouldPackAndDecodeEveryKind() {
        final long page = LockResource.page(LockResource.MAX_DATABASE, LockResource.MAX_AREA, LockResource.MAX_PAGE_NO);
        assertThat(LockResource.kind(page)).isEqualTo(LockResource.KIND_PAGE);
        assertThat(LockResource.databaseOf(page)).isEqualTo(LockResource.MAX_DATABASE);
        assertThat(LockResource.areaOf(page)).isEqualTo(LockResource.MAX_AREA);
        assertThat(LockResource.pageNoOf(page)).isEqualTo(LockResource.MAX_PAGE_NO);
        assertThat(page).isEqualTo(-1L);

        final long file = LockResource.file(3, 0xFFFF_FFFE);
        assertThat(LockResource.kind(file)).isEqualTo(LockResource.KIND_FILE);
        assertThat(LockResource.databaseOf(file)).isEqualTo(3);
        assertThat(LockResource.fileIdOf(file)).isEqualTo(0xFFFF_FFFE);
        assertThat(LockResource.toString(file)).isEqualTo("file(db=3, file=4294967294)");

        final long database = LockResource.database(3);
        assertThat(LockResource.kind(database)).isEqualTo(LockResource.KIND_DATABASE);
        assertThat(LockResource.databaseResourceOf(file)).isEqualTo(database);
        assertThat(LockResource.databaseResourceOf(LockResource.page(3, 1, 9))).isEqualTo(database);
        assertThat(LockResource.toString(database)).isEqualTo("database(db=3)");
        assertThat(LockResource.toString(LockResource.page(1, 2, 42))).isEqualTo("page(db=1, area=2, page=42)");
        assertThat(LockResource.kind(LockResource.NULL_RESOURCE)).isZero();
    }

    @Test
    void shouldKeepKindsApart() {
        assertThat(LockResource.page(0, 0, 0))
                .isNotEqualTo(LockResource.file(0, 0))
                .isNotEqualTo(LockResource.database(0))
                .isNotEqualTo(LockResource.NULL_RESOURCE);
        assertThat(LockResource.file(0, 0)).isNotEqualTo(LockResource.database(0));
    }

    @Test
    void shouldRefuseOutOfRangePartsAndModesAPageDoesNotTake() {
        assertThatThrownBy(() -> LockResource.page(0, 0, LockResource.MAX_PAGE_NO + 1))
                .isInstanceOf(BessException.class)
                .hasMessageContaining("page number out of range");
        assertThatThrownBy(() -> LockResource.page(0, LockResource.MAX_AREA + 1, 0))
                .hasMessageContaining("area id out of range");
        assertThatThrownBy(() -> LockResource.database(-1)).hasMessageContaining("database number out of range");
        assertThatThrownBy(() -> LockResource.checkModeAllowed(LockResource.page(0, 0, 1), LockMode.IX))
                .isInstanceOfSatisfying(
                        BessException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.BAD_ARGUMENT))
                .hasMessageContaining("pages take S and X locks only");
        assertThatThrownBy(() -> LockResource.checkModeAllowed(LockResource.NULL_RESOURCE, LockMode.S))
                .hasMessageContaining("not a lock resource key");
        assertThatThrownBy(() -> LockResource.checkModeAllowed(LockResource.database(1) | 1, LockMode.S))
                .hasMessageContaining("not a lock resource key");
        LockResource.checkModeAllowed(LockResource.file(1, 7), LockMode.SIX);
        LockResource.checkModeAllowed(LockResource.database(1), LockMode.IX);
    }
}
