package io.jmptcp.core.wire;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * One TCP option as an immutable record (RFC 9293 section 3.2, RFC 7323, RFC 2018, RFC 8684).
 *
 * <p>Parsing and emitting live in {@link TcpOptionCodec}. Bad wire input never throws: an option
 * whose length does not fit its kind becomes {@link Malformed} with a reason, an unrecognised kind
 * is kept as {@link Unknown} with its raw bytes.
 */
public sealed interface TcpOption permits TcpOption.Eol, TcpOption.Nop, TcpOption.Mss,
        TcpOption.WindowScale, TcpOption.SackPermitted, TcpOption.Sack, TcpOption.Timestamps,
        TcpOption.Unknown, TcpOption.Malformed, MptcpOption {

    int KIND_EOL = 0;
    int KIND_NOP = 1;
    int KIND_MSS = 2;
    int KIND_WSCALE = 3;
    int KIND_SACK_PERMITTED = 4;
    int KIND_SACK = 5;
    int KIND_TIMESTAMPS = 8;
    int KIND_MPTCP = 30;

    /** The option kind byte. */
    int kind();

    /** Bytes this option takes on the wire, kind and length bytes included (no padding). */
    int length();

    /** End of option list (kind 0). */
    record Eol() implements TcpOption {
        public int length() { return 1; }

        public int kind() { return KIND_EOL; }
    }

    /** No-operation (kind 1), used for padding. */
    record Nop() implements TcpOption {
        public int length() { return 1; }

        public int kind() { return KIND_NOP; }
    }

    /** Maximum segment size (kind 2, length 4); only on SYNs. */
    record Mss(int mss) implements TcpOption {
        public int length() { return 4; }

        public int kind() { return KIND_MSS; }
    }

    /** Window scale (kind 3, length 3, RFC 7323 section 2); shift 0..14 (larger is clamped by receivers). */
    record WindowScale(int shift) implements TcpOption {
        public int length() { return 3; }

        public int kind() { return KIND_WSCALE; }
    }

    /** SACK permitted (kind 4, length 2, RFC 2018). */
    record SackPermitted() implements TcpOption {
        public int length() { return 2; }

        public int kind() { return KIND_SACK_PERMITTED; }
    }

    /** A SACK block: the sequence numbers of the first byte and one past the last byte. */
    record SackBlock(int left, int right) {
        @Override
        public String toString() {
            return Integer.toUnsignedString(left) + "-" + Integer.toUnsignedString(right);
        }
    }

    /** SACK (kind 5, length 2 + 8n, n = 1..4, RFC 2018). */
    record Sack(List<SackBlock> blocks) implements TcpOption {
        public Sack {
            blocks = List.copyOf(blocks);
        }

        public int kind() { return KIND_SACK; }

        public int length() { return 2 + 8 * blocks.size(); }
    }

    /** Timestamps (kind 8, length 10, RFC 7323 section 3); both values are unsigned 32-bit. */
    record Timestamps(int tsVal, int tsEcr) implements TcpOption {
        public int length() { return 10; }

        public int kind() { return KIND_TIMESTAMPS; }

        @Override
        public String toString() {
            return "Timestamps[tsVal=" + Integer.toUnsignedString(tsVal) + ", tsEcr="
                    + Integer.toUnsignedString(tsEcr) + "]";
        }
    }

    /** An option of a kind we do not interpret, kept with its data bytes (after kind and length). */
    record Unknown(int kind, byte[] data) implements TcpOption {
        public Unknown {
            data = data.clone();
        }

        public int length() { return 2 + data.length; }

        @Override
        public byte[] data() {
            return data.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Unknown u && u.kind == kind && Arrays.equals(u.data, data);
        }

        @Override
        public int hashCode() {
            return 31 * kind + Arrays.hashCode(data);
        }

        @Override
        public String toString() {
            return "Unknown[kind=" + kind + ", data=" + HexFormat.of().formatHex(data) + "]";
        }
    }

    /**
     * An option that could not be read: a known kind with the wrong length, or a length byte that
     * runs past the option area. {@code raw} holds the bytes that were there, from the kind byte.
     */
    record Malformed(int kind, String reason, byte[] raw) implements TcpOption {
        public Malformed {
            raw = raw.clone();
        }

        public int length() { return raw.length; }

        @Override
        public byte[] raw() {
            return raw.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Malformed m && m.kind == kind && m.reason.equals(reason)
                    && Arrays.equals(m.raw, raw);
        }

        @Override
        public int hashCode() {
            return 31 * kind + reason.hashCode();
        }

        @Override
        public String toString() {
            return "Malformed[kind=" + kind + ", reason=" + reason + ", raw="
                    + HexFormat.of().formatHex(raw) + "]";
        }
    }
}
