/**
 * The node's write-ahead log: segmented files where an LSN is a byte position ({@link
 * org.bess.format.LogSegmentHeaderDescriptor}), records with their length at both ends and a CRC32C ({@link
 * org.bess.format.LogRecordDescriptor}), group commit ({@link org.bess.server.log.LogWriter#force}: one {@code
 * fdatasync} makes many waiting commits durable), and a scanner that stops at the first record that is not whole and
 * valid ({@link org.bess.server.log.LogScanner}). Every byte goes through a {@link org.bess.server.log.LogDevice}, the
 * log's side of the storage I/O seam.
 *
 * <p>{@code LogWriter} is thread safe; a {@code LogScanner} belongs to one thread.
 */
package org.bess.server.log;
