package io.jmptcp.core.wire;

import java.util.List;

/**
 * A TCP header as an immutable record (RFC 9293 section 3.1). Sequence numbers and the window are
 * raw wire values (unsigned 32-bit in {@code int}; the window unscaled). The data offset is not a
 * field: it follows from the options when emitting, and parsing reports it separately.
 */
public record TcpHeader(int srcPort, int dstPort, int seq, int ack, int flags, int window,
                        int checksum, int urgentPointer, List<TcpOption> options) {
    public static final int FIN = 0x01;
    public static final int SYN = 0x02;
    public static final int RST = 0x04;
    public static final int PSH = 0x08;
    public static final int ACK = 0x10;
    public static final int URG = 0x20;
    public static final int ECE = 0x40;
    public static final int CWR = 0x80;

    /** Header length without options. */
    public static final int MIN_LENGTH = 20;
    /** Largest option area: data offset 15 words minus the fixed header. */
    public static final int MAX_OPTIONS_LENGTH = 40;

    public TcpHeader {
        options = List.copyOf(options);
    }

    public boolean has(int flag) {
        return (flags & flag) != 0;
    }

    /** The flags as letters from "FSRPAUEC", in that order, as the decoder prints them. */
    public static String flagLetters(int flags) {
        StringBuilder sb = new StringBuilder(8);
        String letters = "FSRPAUEC";
        for (int i = 0; i < 8; i++) {
            if ((flags & (1 << i)) != 0) {
                sb.append(letters.charAt(i));
            }
        }
        return sb.toString();
    }
}
