package org.bess.server.lock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.bess.server.lock.LockMode.IS;
import static org.bess.server.lock.LockMode.IX;
import static org.bess.server.lock.LockMode.S;
import static org.bess.server.lock.LockMode.SIX;
import static org.bess.server.lock.LockMode.X;

import org.junit.jupiter.api.Test;

class LockModeTest {
    @Test
    void shouldOrderModesAsALattice() {
        // rows cover columns: IS IX S SIX X
        final boolean[][] covers = {
            {true, false, false, false, false}, // IS
            {true, true, false, false, false}, // IX
            {true, false, true, false, false}, // S
            {true, true, true, true, false}, // SIX
            {true, true, true, true, true}, // X
        };
        final LockMode[] modes = LockMode.values();
        for (int a = 0; a < modes.length; a++) {
            for (int b = 0; b < modes.length; b++) {
                assertThat(modes[a].covers(modes[b]))
                        .as("%s covers %s", modes[a], modes[b])
                        .isEqualTo(covers[a][b]);
                final LockMode sup = modes[a].supremum(modes[b]);
                assertThat(sup.covers(modes[a]) && sup.covers(modes[b]))
                        .as("%s is an upper bound of %s and %s", sup, modes[a], modes[b])
                        .isTrue();
            }
        }
        assertThat(S.supremum(IX)).isEqualTo(SIX);
        assertThat(IX.supremum(S)).isEqualTo(SIX);
        assertThat(IS.supremum(IX)).isEqualTo(IX);
        assertThat(S.supremum(X)).isEqualTo(X);
        assertThat(SIX.supremum(IS)).isEqualTo(SIX);
    }

    @Test
    void shouldRoundTripCodes() {
        for (final LockMode mode : LockMode.values()) {
            assertThat(LockMode.ofCode(mode.code())).isEqualTo(mode);
        }
    }
}
