package io.jmptcp.tun.pcap;

import java.math.BigInteger;
import java.nio.ByteBuffer;

/**
 * What {@link PcapReader} keeps from a pcapng Interface Description Block: the link type, the
 * snapshot length, and how to turn timestamp ticks into nanoseconds ({@code if_tsresol},
 * {@code if_tsoffset}).
 *
 * @param tsResolution the if_tsresol byte: high bit clear = 10^-n seconds, set = 2^-n seconds
 * @param tsOffsetSeconds the if_tsoffset value, added to every timestamp
 */
record PcapNgInterface(int linkType, long snapLen, int tsResolution, long tsOffsetSeconds) {
    static final int OPT_END = 0;
    static final int OPT_TSRESOL = 9;
    static final int OPT_TSOFFSET = 14;
    /** Default if_tsresol: microseconds. */
    static final int DEFAULT_TSRESOL = 6;

    private static final BigInteger NANOS_PER_SECOND = BigInteger.valueOf(1_000_000_000L);

    /**
     * Reads an IDB body (after type and length, before the trailing length). Options it cannot
     * read are ignored (defaults apply); a body shorter than the fixed part gives link type -1.
     */
    static PcapNgInterface parse(ByteBuffer body) {
        if (body.remaining() < 8) {
            return new PcapNgInterface(-1, 0, DEFAULT_TSRESOL, 0);
        }
        int linkType = body.getShort(0) & 0xFFFF;
        long snapLen = body.getInt(4) & 0xFFFFFFFFL;
        int tsResol = DEFAULT_TSRESOL;
        long tsOffset = 0;
        int p = 8;
        while (p + 4 <= body.limit()) {
            int code = body.getShort(p) & 0xFFFF;
            int len = body.getShort(p + 2) & 0xFFFF;
            if (code == OPT_END || p + 4 + len > body.limit()) {
                break;
            }
            if (code == OPT_TSRESOL && len >= 1) {
                tsResol = body.get(p + 4) & 0xFF;
            } else if (code == OPT_TSOFFSET && len >= 8) {
                tsOffset = body.getLong(p + 4);
            }
            p += 4 + ((len + 3) & ~3);
        }
        return new PcapNgInterface(linkType, snapLen, tsResol, tsOffset);
    }

    /** Converts an (unsigned) tick count of this interface into nanoseconds since the epoch. */
    long toNanos(long ticks) {
        long offsetNanos = tsOffsetSeconds * 1_000_000_000L;
        if (tsResolution == 6 && Long.compareUnsigned(ticks, Long.MAX_VALUE / 1000) <= 0) {
            return ticks * 1000 + offsetNanos;
        }
        if (tsResolution == 9) {
            return ticks + offsetNanos;
        }
        BigInteger t = new BigInteger(Long.toUnsignedString(ticks));
        int n = tsResolution & 0x7F;
        BigInteger nanos;
        if ((tsResolution & 0x80) == 0) {
            nanos = n <= 9 ? t.multiply(BigInteger.TEN.pow(9 - n)) : t.divide(BigInteger.TEN.pow(n - 9));
        } else {
            nanos = t.multiply(NANOS_PER_SECOND).shiftRight(n);
        }
        return nanos.longValue() + offsetNanos;
    }
}
