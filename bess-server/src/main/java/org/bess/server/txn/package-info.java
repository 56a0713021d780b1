/**
 * Transactions: the recovery buffer of before-images, page diffing into log records, commit with group commit,
 * abort by before-images and compensation records, and restart recovery ({@link org.bess.server.txn.RestartRecovery}).
 *
 * <p>Not thread safe: one session thread drives its transaction.
 */
package org.bess.server.txn;
