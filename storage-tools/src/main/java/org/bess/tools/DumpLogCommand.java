package org.bess.tools;

import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.bess.format.LogRecordDescriptor;
import org.bess.format.LogSegmentHeaderDescriptor;
import org.bess.server.Context;
import org.bess.server.log.FileLogDevice;
import org.bess.server.log.LogRecord;
import org.bess.server.log.LogScanner;
import org.bess.server.txn.PageDiff;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code bess-admin dump-log}: prints the write-ahead log of a node, readable, with filters. */
@Command(
        name = "dump-log",
        mixinStandardHelpOptions = true,
        description = "Prints the records of a node's write-ahead log, optionally of one transaction or one page.")
final class DumpLogCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--node-dir", required = true, paramLabel = "DIR", description = "the node directory")
    private Path nodeDir;

    @Option(names = "--txn", paramLabel = "ID", description = "only records of this transaction")
    private Long txn;

    @Option(names = "--page", paramLabel = "N", description = "only page records of this page number")
    private Long page;

    @Option(
            names = "--segment-size",
            paramLabel = "SIZE",
            defaultValue = "64m",
            description = "the log's segment size (default: ${DEFAULT-VALUE})")
    private String segmentSize;

    @Override
    public Integer call() {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final Path logDir = nodeDir.resolve("log");
        if (!Files.isDirectory(logDir)) {
            err.println("bess-admin dump-log: no log in the node directory: " + logDir);
            return AdminSupport.FAILED;
        }
        try (FileLogDevice device = new FileLogDevice(logDir)) {
            final long segment = Context.parseSize(segmentSize);
            final List<Long> segments = device.segments();
            if (segments.isEmpty()) {
                out.println("log is empty");
                return 0;
            }
            for (final long s : segments) {
                LogScanner.checkHeader(device, s, segment);
            }
            final LogScanner scanner = new LogScanner(
                    device, segment, segments.get(0) * segment + LogSegmentHeaderDescriptor.HEADER_LENGTH);
            long count = 0;
            for (LogRecord r = scanner.next(); r != null; r = scanner.next()) {
                if (matches(r)) {
                    out.println(describe(r));
                    count++;
                }
            }
            out.println(
                    count + " record(s); log ends at lsn " + scanner.position() + " (" + scanner.stopReason() + ")");
            return 0;
        } catch (final RuntimeException e) {
            err.println("bess-admin dump-log: " + e.getMessage());
            return AdminSupport.FAILED;
        }
    }

    private boolean matches(final LogRecord r) {
        if (txn != null && r.txnId() != txn) {
            return false;
        }
        return page == null || (isPage(r.type()) && PageDiff.pageId(r.body())[2] == page);
    }

    private static boolean isPage(final short type) {
        return type == LogRecordDescriptor.TYPE_PAGE_DIFF
                || type == LogRecordDescriptor.TYPE_FULL_PAGE
                || type == LogRecordDescriptor.TYPE_CLR;
    }

    private static String describe(final LogRecord r) {
        final StringBuilder b = new StringBuilder();
        b.append("lsn=").append(r.lsn()).append(' ').append(LogRecordDescriptor.typeName(r.type()));
        b.append(" txn=")
                .append(r.txnId())
                .append(" prev=")
                .append(r.prevLsn())
                .append(" len=")
                .append(r.length());
        if (isPage(r.type())) {
            final long[] id = PageDiff.pageId(r.body());
            b.append(" db=")
                    .append(Long.toHexString(id[0]))
                    .append(" area=")
                    .append(id[1])
                    .append(" page=")
                    .append(id[2]);
            b.append((r.flags() & 1) != 0 ? " control" : " data");
            if (r.type() == LogRecordDescriptor.TYPE_PAGE_DIFF) {
                b.append(" changed=").append(PageDiff.changedBytes(r.body())).append('B');
            } else if (r.type() == LogRecordDescriptor.TYPE_CLR) {
                b.append(" undoNext=").append(PageDiff.undoNext(r.body()));
            }
        } else if (r.type() == LogRecordDescriptor.TYPE_DATABASE) {
            final ByteBuffer body = r.body();
            final long id = body.getLong();
            final byte[] path = new byte[body.getInt()];
            body.get(path);
            b.append(" db=")
                    .append(Long.toHexString(id))
                    .append(" path=")
                    .append(new String(path, java.nio.charset.StandardCharsets.UTF_8));
        }
        return b.toString();
    }
}
