package io.jmptcp.tun.pcap;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;

/**
 * Builds small capture files byte by byte for the reader tests, in either byte order, so each
 * test states exactly which bytes the reader sees. Deliberately independent of the reader.
 */
final class PcapReaderTestFiles {
    private PcapReaderTestFiles() {
    }

    /** A minimal IPv4 header (20 bytes, protocol TCP) followed by {@code payload}. */
    static byte[] ipv4(byte... payload) {
        ByteBuffer b = ByteBuffer.allocate(20 + payload.length);
        b.put((byte) 0x45).put((byte) 0).putShort((short) (20 + payload.length));
        b.putInt(0).put((byte) 64).put((byte) 6).putShort((short) 0);
        b.put(new byte[] {10, 0, 0, 1}).put(new byte[] {10, 0, 0, 2}).put(payload);
        return b.array();
    }

    /** A minimal IPv6 header (40 bytes, next header TCP) followed by {@code payload}. */
    static byte[] ipv6(byte... payload) {
        ByteBuffer b = ByteBuffer.allocate(40 + payload.length);
        b.putInt(0x60000000).putShort((short) payload.length).put((byte) 6).put((byte) 64);
        b.put(HexFormat.of().parseHex("fd000000000000000000000000000001"));
        b.put(HexFormat.of().parseHex("fd000000000000000000000000000002")).put(payload);
        return b.array();
    }

    /** An Ethernet frame: two MAC addresses, optional VLAN tags (TPID, TCI), the EtherType, payload. */
    static byte[] ethernet(int etherType, byte[] payload, int... vlanTpids) {
        ByteBuffer b = ByteBuffer.allocate(14 + 4 * vlanTpids.length + payload.length);
        b.put(new byte[] {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2});
        for (int tpid : vlanTpids) {
            b.putShort((short) tpid).putShort((short) 42);
        }
        b.putShort((short) etherType).put(payload);
        return b.array();
    }

    /** A Linux cooked v1 header (16 bytes) then payload. */
    static byte[] sll(int protocol, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(16 + payload.length);
        b.putShort((short) 0).putShort((short) 1).putShort((short) 6);
        b.put(new byte[] {2, 0, 0, 0, 0, 1, 0, 0}).putShort((short) protocol).put(payload);
        return b.array();
    }

    /** A Linux cooked v2 header (20 bytes) then payload. */
    static byte[] sll2(int protocol, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(20 + payload.length);
        b.putShort((short) protocol).putShort((short) 0).putInt(7).putShort((short) 1);
        b.put((byte) 4).put((byte) 6).put(new byte[] {2, 0, 0, 0, 0, 1, 0, 0}).put(payload);
        return b.array();
    }

    /** A classic pcap file. */
    static final class Classic {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final ByteOrder order;

        Classic(ByteOrder order, boolean nanos, int linkType) {
            this.order = order;
            ByteBuffer h = ByteBuffer.allocate(24).order(order);
            h.putInt(nanos ? 0xA1B23C4D : 0xA1B2C3D4).putShort((short) 2).putShort((short) 4);
            h.putInt(0).putInt(0).putInt(262144).putInt(linkType);
            out.writeBytes(h.array());
        }

        Classic packet(long seconds, long fraction, byte[] data, int origLen) {
            ByteBuffer h = ByteBuffer.allocate(16).order(order);
            h.putInt((int) seconds).putInt((int) fraction).putInt(data.length).putInt(origLen);
            out.writeBytes(h.array());
            out.writeBytes(data);
            return this;
        }

        Classic packet(long seconds, long fraction, byte[] data) {
            return packet(seconds, fraction, data, data.length);
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    /** A pcapng file: blocks are appended in the current section's byte order. */
    static final class Ng {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private ByteOrder order;

        Ng(ByteOrder order) {
            section(order);
        }

        Ng section(ByteOrder newOrder) {
            this.order = newOrder;
            ByteBuffer body = ByteBuffer.allocate(16).order(order);
            body.putInt(0x1A2B3C4D).putShort((short) 1).putShort((short) 0).putLong(-1L);
            return block(0x0A0D0D0A, body.array());
        }

        /** An IDB; {@code tsresol} < 0 leaves the option out (microseconds). */
        Ng iface(int linkType, int snapLen, int tsresol, long tsOffsetSeconds) {
            ByteBuffer body = ByteBuffer.allocate(8 + 8 + 12 + 4).order(order);
            body.putShort((short) linkType).putShort((short) 0).putInt(snapLen);
            if (tsresol >= 0) {
                body.putShort((short) 9).putShort((short) 1).put((byte) tsresol).put(new byte[3]);
            }
            if (tsOffsetSeconds != 0) {
                body.putShort((short) 14).putShort((short) 8).putLong(tsOffsetSeconds);
            }
            body.putShort((short) 0).putShort((short) 0);
            return block(1, slice(body));
        }

        Ng epb(int ifId, long ticks, byte[] data, int origLen) {
            ByteBuffer body = ByteBuffer.allocate(20 + pad(data.length)).order(order);
            body.putInt(ifId).putInt((int) (ticks >>> 32)).putInt((int) ticks);
            body.putInt(data.length).putInt(origLen).put(data);
            return block(6, body.array());
        }

        Ng epb(int ifId, long ticks, byte[] data) {
            return epb(ifId, ticks, data, data.length);
        }

        Ng spb(byte[] data) {
            ByteBuffer body = ByteBuffer.allocate(4 + pad(data.length)).order(order);
            body.putInt(data.length).put(data);
            return block(3, body.array());
        }

        Ng obsoletePacket(int ifId, long ticks, byte[] data) {
            ByteBuffer body = ByteBuffer.allocate(20 + pad(data.length)).order(order);
            body.putShort((short) ifId).putShort((short) 0).putInt((int) (ticks >>> 32));
            body.putInt((int) ticks).putInt(data.length).putInt(data.length).put(data);
            return block(2, body.array());
        }

        /** Any block with the given type and body (body length must be a multiple of 4). */
        Ng block(int type, byte[] body) {
            ByteBuffer b = ByteBuffer.allocate(12 + body.length).order(order);
            b.putInt(type).putInt(12 + body.length).put(body).putInt(12 + body.length);
            out.writeBytes(b.array());
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }

        private static byte[] slice(ByteBuffer b) {
            byte[] a = new byte[b.position()];
            b.get(0, a);
            return a;
        }

        private static int pad(int n) {
            return (n + 3) & ~3;
        }
    }
}
