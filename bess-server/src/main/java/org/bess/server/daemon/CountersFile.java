package org.bess.server.daemon;

import static org.bess.format.CountersFileDescriptor.CHECKSUM_OFFSET;
import static org.bess.format.CountersFileDescriptor.FORMAT_VERSION;
import static org.bess.format.CountersFileDescriptor.FORMAT_VERSION_OFFSET;
import static org.bess.format.CountersFileDescriptor.HEADER_LENGTH;
import static org.bess.format.CountersFileDescriptor.HEARTBEAT_OFFSET;
import static org.bess.format.CountersFileDescriptor.MAGIC;
import static org.bess.format.CountersFileDescriptor.MAGIC_OFFSET;
import static org.bess.format.CountersFileDescriptor.MAX_BUFFER_LENGTH;
import static org.bess.format.CountersFileDescriptor.METADATA_LENGTH_OFFSET;
import static org.bess.format.CountersFileDescriptor.NODE_ID_OFFSET;
import static org.bess.format.CountersFileDescriptor.PID_OFFSET;
import static org.bess.format.CountersFileDescriptor.START_TIME_OFFSET;
import static org.bess.format.CountersFileDescriptor.STOPPED_OFFSET;
import static org.bess.format.CountersFileDescriptor.VALUES_LENGTH_OFFSET;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.zip.CRC32C;
import org.agrona.IoUtil;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;
import org.bess.client.wire.CounterValue;
import org.bess.exceptions.BessException;
import org.bess.exceptions.ErrorCode;
import org.bess.format.CountersFileDescriptor;

/**
 * The live counters file ({@link CountersFileDescriptor}): the server {@link #create}s it and allocates counters
 * through an Agrona {@link CountersManager}; any process with read access {@link #openReadOnly}s it, checks the header
 * and reads the counters without a request (what {@code bess-admin stat} does). Reads of the metadata are bounded:
 * a garbled record is a {@code BAD_FORMAT} error, never an out-of-bounds access.
 *
 * <p>Counter values and the heartbeat are written by one server thread at a time with release semantics and read with
 * acquire semantics; the rest of the header is written once before any reader can find the file's CRC valid.
 */
public final class CountersFile implements AutoCloseable {
    private final Path path;
    private final MappedByteBuffer mapped;
    private final AtomicBuffer header;
    private final AtomicBuffer metadata;
    private final AtomicBuffer values;
    private final CountersManager manager;

    private CountersFile(
            final Path path,
            final MappedByteBuffer mapped,
            final int metadataLength,
            final int valuesLength,
            final boolean writable) {
        this.path = path;
        this.mapped = mapped;
        this.header = new UnsafeBuffer(mapped, 0, HEADER_LENGTH);
        this.metadata = new UnsafeBuffer(mapped, HEADER_LENGTH, metadataLength);
        this.values = new UnsafeBuffer(mapped, CountersFileDescriptor.valuesOffset(metadataLength), valuesLength);
        this.manager = writable ? new CountersManager(metadata, values, StandardCharsets.US_ASCII) : null;
    }

    /**
     * Creates (replacing any old one) and maps a counters file.
     *
     * @param path where.
     * @param maxCounters room for this many counters.
     * @param groupReadable {@code 0640} instead of {@code 0600}.
     * @param nodeId the node id written in the header.
     */
    public static CountersFile create(
            final Path path, final int maxCounters, final boolean groupReadable, final long nodeId) {
        final int valuesLength = maxCounters * CountersReader.COUNTER_LENGTH;
        final int metadataLength = maxCounters * CountersReader.METADATA_LENGTH;
        final long length = CountersFileDescriptor.fileLength(metadataLength, valuesLength);
        final MappedByteBuffer mapped;
        try {
            Files.deleteIfExists(path);
            try (FileChannel ch = FileChannel.open(
                    path,
                    Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(
                            PosixFilePermissions.fromString(groupReadable ? "rw-r-----" : "rw-------")))) {
                // the umask may have narrowed the mode; set it exactly
                Files.setPosixFilePermissions(
                        path, PosixFilePermissions.fromString(groupReadable ? "rw-r-----" : "rw-------"));
                ch.truncate(length);
                mapped = ch.map(FileChannel.MapMode.READ_WRITE, 0, length);
            }
        } catch (final IOException e) {
            throw new BessException(ErrorCode.IO, "cannot create the counters file: path=" + path + ": " + e, e);
        }
        final CountersFile file = new CountersFile(path, mapped, metadataLength, valuesLength, true);
        final AtomicBuffer h = file.header;
        h.putLong(MAGIC_OFFSET, MAGIC);
        h.putInt(FORMAT_VERSION_OFFSET, FORMAT_VERSION);
        h.putInt(METADATA_LENGTH_OFFSET, metadataLength);
        h.putInt(VALUES_LENGTH_OFFSET, valuesLength);
        h.putLong(PID_OFFSET, ProcessHandle.current().pid());
        h.putLong(START_TIME_OFFSET, System.currentTimeMillis());
        h.putLong(NODE_ID_OFFSET, nodeId);
        h.putLongRelease(HEARTBEAT_OFFSET, System.currentTimeMillis());
        h.putIntRelease(CHECKSUM_OFFSET, checksum(h));
        return file;
    }

    private static int checksum(final AtomicBuffer h) {
        final byte[] bytes = new byte[CHECKSUM_OFFSET];
        h.getBytes(0, bytes);
        final CRC32C crc = new CRC32C();
        crc.update(bytes);
        return (int) crc.getValue();
    }

    /**
     * Maps an existing counters file read-only and checks its header.
     *
     * @throws BessException {@code IO} when it cannot be read (missing: is the server running?), {@code BAD_FORMAT}
     *     naming the field when it is not a counters file of this version.
     */
    public static CountersFile openReadOnly(final Path path) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            final long size = ch.size();
            if (size < HEADER_LENGTH) {
                throw bad(path, "shorter than its header: length=" + size + ", header=" + HEADER_LENGTH);
            }
            final MappedByteBuffer headerMap = ch.map(FileChannel.MapMode.READ_ONLY, 0, HEADER_LENGTH);
            final UnsafeBuffer h = new UnsafeBuffer(headerMap);
            final long magic = h.getLong(MAGIC_OFFSET);
            final int version = h.getInt(FORMAT_VERSION_OFFSET);
            final int metadataLength = h.getInt(METADATA_LENGTH_OFFSET);
            final int valuesLength = h.getInt(VALUES_LENGTH_OFFSET);
            final int crc = h.getIntAcquire(CHECKSUM_OFFSET);
            final int actualCrc = checksum(h);
            IoUtil.unmap(headerMap);
            if (magic != MAGIC) {
                throw bad(path, String.format("not a bess counters file: magic=0x%016x", magic));
            }
            if (version != FORMAT_VERSION) {
                throw bad(path, "format version " + version + ", this code reads " + FORMAT_VERSION);
            }
            if (crc != actualCrc) {
                throw bad(
                        path, String.format("header checksum mismatch: stored=0x%08x, actual=0x%08x", crc, actualCrc));
            }
            if (valuesLength <= 0
                    || valuesLength > MAX_BUFFER_LENGTH
                    || valuesLength % CountersReader.COUNTER_LENGTH != 0
                    || metadataLength
                            != (long) valuesLength / CountersReader.COUNTER_LENGTH * CountersReader.METADATA_LENGTH) {
                throw bad(
                        path, "buffer lengths out of bounds: metadata=" + metadataLength + ", values=" + valuesLength);
            }
            final long expected = CountersFileDescriptor.fileLength(metadataLength, valuesLength);
            if (size != expected) {
                throw bad(path, "length " + size + ", header says " + expected);
            }
            final MappedByteBuffer mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, expected);
            return new CountersFile(path, mapped, metadataLength, valuesLength, false);
        } catch (final java.nio.file.NoSuchFileException e) {
            throw new BessException(
                    ErrorCode.IO, "no counters file: path=" + path + " (is the node server running?)", e);
        } catch (final IOException e) {
            throw new BessException(ErrorCode.IO, "cannot read the counters file: path=" + path + ": " + e, e);
        }
    }

    private static BessException bad(final Path path, final String what) {
        return new BessException(ErrorCode.BAD_FORMAT, "bad counters file: path=" + path + ": " + what);
    }

    /** The file. */
    public Path path() {
        return path;
    }

    /** The server's allocator (server side only). */
    public CountersManager manager() {
        if (manager == null) {
            throw new BessException(ErrorCode.ILLEGAL_STATE, "counters file opened read-only: path=" + path);
        }
        return manager;
    }

    /** The writer's pid. */
    public long pid() {
        return header.getLong(PID_OFFSET);
    }

    /** When the writer started, epoch ms. */
    public long startTimeMs() {
        return header.getLong(START_TIME_OFFSET);
    }

    /** The node id. */
    public long nodeId() {
        return header.getLong(NODE_ID_OFFSET);
    }

    /** The last heartbeat, epoch ms. */
    public long heartbeatMs() {
        return header.getLongAcquire(HEARTBEAT_OFFSET);
    }

    /** Stores a heartbeat (server side). */
    public void heartbeat(final long epochMs) {
        header.putLongRelease(HEARTBEAT_OFFSET, epochMs);
    }

    /** Whether the server stopped cleanly. */
    public boolean stopped() {
        return header.getIntAcquire(STOPPED_OFFSET) == 1;
    }

    /** Marks a clean stop (server side). */
    public void markStopped() {
        header.putIntRelease(STOPPED_OFFSET, 1);
    }

    /**
     * Reads every allocated counter, checking each metadata record's bounds.
     *
     * @throws BessException {@code BAD_FORMAT} for a garbled record.
     */
    public List<CounterValue> read() {
        final List<CounterValue> out = new ArrayList<>();
        final int max = values.capacity() / CountersReader.COUNTER_LENGTH;
        for (int id = 0; id < max; id++) {
            final int m = id * CountersReader.METADATA_LENGTH;
            final int state = metadata.getIntVolatile(m);
            if (state == CountersReader.RECORD_UNUSED) {
                break;
            }
            if (state != CountersReader.RECORD_ALLOCATED) {
                continue;
            }
            final int typeId = metadata.getInt(m + CountersReader.TYPE_ID_OFFSET);
            final int labelLength = metadata.getInt(m + CountersReader.LABEL_OFFSET);
            if (labelLength < 0 || labelLength > CountersReader.MAX_LABEL_LENGTH) {
                throw bad(path, "counter " + id + " has a label length out of bounds: " + labelLength);
            }
            final byte[] label = new byte[labelLength];
            metadata.getBytes(m + CountersReader.LABEL_OFFSET + Integer.BYTES, label);
            final long value = values.getLongVolatile(id * CountersReader.COUNTER_LENGTH);
            out.add(new CounterValue(id, typeId, value, new String(label, StandardCharsets.US_ASCII)));
        }
        return out;
    }

    @Override
    public void close() {
        IoUtil.unmap(mapped);
    }
}
