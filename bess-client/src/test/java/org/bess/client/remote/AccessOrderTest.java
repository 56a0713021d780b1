package org.bess.client.remote;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The previous transaction's order as the next one's prediction. */
class AccessOrderTest {
    @Test
    void shouldPredictThePreviousTransactionsPagesInFirstReachedOrder() {
        final AccessOrder o = new AccessOrder(100);
        for (final long p : new long[] {7, 3, 7, 9, 3, 11}) {
            o.record(p);
        }
        assertThat(o.previousCount())
                .as("nothing predicted before the first rotation")
                .isZero();
        assertThat(o.positionOf(7)).isEqualTo(-1);
        o.rotate();
        assertThat(o.previousCount()).isEqualTo(4);
        assertThat(new long[] {o.previous(0), o.previous(1), o.previous(2), o.previous(3)})
                .containsExactly(7, 3, 9, 11);
        assertThat(o.positionOf(9)).isEqualTo(2);
        assertThat(o.positionOf(5)).isEqualTo(-1);
    }

    @Test
    void shouldKeepThePredictionWhenATransactionReachedNothing() {
        final AccessOrder o = new AccessOrder(100);
        o.record(4);
        o.record(5);
        o.rotate();
        o.rotate();
        assertThat(o.previousCount()).isEqualTo(2);
        assertThat(o.positionOf(5)).isEqualTo(1);
    }

    @Test
    void shouldReplaceThePredictionWithTheNextTransactionsOrder() {
        final AccessOrder o = new AccessOrder(100);
        o.record(1);
        o.record(2);
        o.rotate();
        o.record(8);
        o.rotate();
        assertThat(o.previousCount()).isEqualTo(1);
        assertThat(o.previous(0)).isEqualTo(8);
        assertThat(o.positionOf(1))
                .as("an older transaction's page is forgotten")
                .isEqualTo(-1);
    }

    @Test
    void shouldRememberAtMostTheLimitPerTransaction() {
        final AccessOrder o = new AccessOrder(3);
        for (long p = 0; p < 10; p++) {
            o.record(p);
        }
        o.rotate();
        assertThat(o.previousCount()).isEqualTo(3);
        assertThat(o.positionOf(3)).isEqualTo(-1);
    }
}
