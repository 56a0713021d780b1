package org.bess.format;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

class LargeObjectDescriptorTest {
    @Test
    void shouldLayOutTheNodeHeaderAsSpecified() {
        assertThat(LargeObjectNodeDescriptor.LEVEL_OFFSET).isEqualTo(32);
        assertThat(LargeObjectNodeDescriptor.ENTRY_COUNT_OFFSET).isEqualTo(34);
        assertThat(LargeObjectNodeDescriptor.FLAGS_OFFSET).isEqualTo(36);
        assertThat(LargeObjectNodeDescriptor.STRIPE_COUNT_OFFSET).isEqualTo(38);
        assertThat(LargeObjectNodeDescriptor.OWNER_REF_OFFSET).isEqualTo(40).matches(o -> o % 8 == 0, "8-aligned");
        assertThat(LargeObjectNodeDescriptor.LENGTH_OFFSET).isEqualTo(48).matches(o -> o % 8 == 0, "8-aligned");
        assertThat(LargeObjectNodeDescriptor.FILE_ID_OFFSET).isEqualTo(56);
        assertThat(LargeObjectNodeDescriptor.NEXT_STRIPE_OFFSET).isEqualTo(60);
        assertThat(LargeObjectNodeDescriptor.STRIPE_AREAS_OFFSET).isEqualTo(64);
        assertThat(LargeObjectNodeDescriptor.ENTRIES_OFFSET).isEqualTo(128);
        assertThat(LargeObjectNodeDescriptor.ENTRY_CAPACITY).isEqualTo(248);
        assertThat(LargeObjectNodeDescriptor.entryOffset(LargeObjectNodeDescriptor.ENTRY_CAPACITY))
                .isLessThanOrEqualTo(PageHeaderDescriptor.PAGE_LENGTH);
        assertThat(PageHeaderDescriptor.TYPE_LARGE_NODE).isEqualTo((short) 6);
        assertThat(SlotDescriptor.FLAG_LARGE).isEqualTo(2);
    }

    @Test
    void shouldLayOutAnEntryIn16AlignedBytes() {
        assertThat(LargeObjectEntryDescriptor.CHILD_AREA_OFFSET).isZero();
        assertThat(LargeObjectEntryDescriptor.CHILD_ORDER_OFFSET).isEqualTo(2);
        assertThat(LargeObjectEntryDescriptor.CHILD_PAGE_OFFSET).isEqualTo(4);
        assertThat(LargeObjectEntryDescriptor.BYTE_COUNT_OFFSET).isEqualTo(8);
        assertThat(LargeObjectEntryDescriptor.ENTRY_LENGTH).isEqualTo(16);
        assertThat(LargeObjectNodeDescriptor.entryOffset(3) + LargeObjectEntryDescriptor.BYTE_COUNT_OFFSET)
                .matches(o -> o % 8 == 0, "byte counts 8-aligned");
    }

    @Test
    void shouldMatchTheGoldenRootNode() throws IOException {
        final UnsafeBuffer p = new UnsafeBuffer(new byte[PageHeaderDescriptor.PAGE_LENGTH]);
        p.putShort(PageHeaderDescriptor.PAGE_TYPE_OFFSET, PageHeaderDescriptor.TYPE_LARGE_NODE);
        p.putShort(PageHeaderDescriptor.FORMAT_VERSION_OFFSET, PageHeaderDescriptor.FORMAT_VERSION);
        p.putInt(PageHeaderDescriptor.PAGE_NO_OFFSET, 77);
        p.putShort(PageHeaderDescriptor.AREA_ID_OFFSET, (short) 2);
        p.putShort(LargeObjectNodeDescriptor.LEVEL_OFFSET, (short) 1);
        p.putShort(LargeObjectNodeDescriptor.ENTRY_COUNT_OFFSET, (short) 2);
        p.putShort(LargeObjectNodeDescriptor.FLAGS_OFFSET, (short) LargeObjectNodeDescriptor.FLAG_ROOT);
        p.putShort(LargeObjectNodeDescriptor.STRIPE_COUNT_OFFSET, (short) 3);
        p.putLong(LargeObjectNodeDescriptor.OWNER_REF_OFFSET, 0x0000_1234_0005_abcdL);
        p.putLong(LargeObjectNodeDescriptor.LENGTH_OFFSET, 300_000);
        p.putInt(LargeObjectNodeDescriptor.FILE_ID_OFFSET, 9);
        p.putShort(LargeObjectNodeDescriptor.NEXT_STRIPE_OFFSET, (short) 1);
        for (int i = 0; i < 3; i++) {
            p.putShort(LargeObjectNodeDescriptor.stripeAreaOffset(i), (short) (2 + i));
        }
        final long[][] entries = {{2, 0, 1000, 262_144}, {2, 0, 1001, 37_856}};
        for (int i = 0; i < entries.length; i++) {
            final int e = LargeObjectNodeDescriptor.entryOffset(i);
            p.putShort(e + LargeObjectEntryDescriptor.CHILD_AREA_OFFSET, (short) entries[i][0]);
            p.putShort(e + LargeObjectEntryDescriptor.CHILD_ORDER_OFFSET, (short) entries[i][1]);
            p.putInt(e + LargeObjectEntryDescriptor.CHILD_PAGE_OFFSET, (int) entries[i][2]);
            p.putLong(e + LargeObjectEntryDescriptor.BYTE_COUNT_OFFSET, entries[i][3]);
        }
        assertThat(hex(p, 160)).isEqualTo(golden("format/large-object-node.hex"));
    }

    private static String hex(final UnsafeBuffer p, final int length) {
        final StringBuilder sb = new StringBuilder();
        for (int off = 0; off < length; off += 16) {
            sb.append(String.format("%04x:", off));
            for (int i = 0; i < 16; i++) {
                sb.append(String.format(" %02x", p.getByte(off + i)));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    private static String golden(final String resource) throws IOException {
        try (InputStream in = LargeObjectDescriptorTest.class.getClassLoader().getResourceAsStream(resource)) {
            assertThat(in).as("golden file %s", resource).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }
}
