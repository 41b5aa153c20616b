package io.jmptcp.core.wire;

import java.net.InetAddress;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * The MPTCP option (TCP kind 30), one record per RFC 8684 subtype and form (section 3, and
 * section 7 for the registries). Field names follow the RFC. Lengths follow Linux
 * {@code TCPOLEN_MPTCP_*} (see {@link MptcpOptionCodec}).
 *
 * <p>Unsigned 32-bit fields are held in {@code int}, unsigned 64-bit fields in {@code long}.
 */
public sealed interface MptcpOption extends TcpOption permits MptcpOption.MpCapable,
        MptcpOption.MpJoinSyn, MptcpOption.MpJoinSynAck, MptcpOption.MpJoinAck, MptcpOption.Dss,
        MptcpOption.AddAddr, MptcpOption.RemoveAddr, MptcpOption.MpPrio, MptcpOption.MpFail,
        MptcpOption.MpFastclose, MptcpOption.MpTcpRst, MptcpOption.MptcpUnknown,
        MptcpOption.MptcpMalformed {

    int MP_CAPABLE = 0x0;
    int MP_JOIN = 0x1;
    int DSS = 0x2;
    int ADD_ADDR = 0x3;
    int REMOVE_ADDR = 0x4;
    int MP_PRIO = 0x5;
    int MP_FAIL = 0x6;
    int MP_FASTCLOSE = 0x7;
    int MP_TCPRST = 0x8;

    /** MP_CAPABLE flag A: checksum required (RFC 8684 section 3.1). */
    int CAP_A_CHECKSUM = 0x80;
    /** MP_CAPABLE flag B: extensibility; must be 0 for Linux to accept the option. */
    int CAP_B_EXTENSIBILITY = 0x40;
    /** MP_CAPABLE flag C: do not attempt to establish new subflows to this source address. */
    int CAP_C_NO_JOIN_TO_SOURCE = 0x20;
    /** MP_CAPABLE flag H: HMAC-SHA256, the only crypto algorithm of v1. */
    int CAP_H_HMAC_SHA256 = 0x01;

    @Override
    default int kind() {
        return KIND_MPTCP;
    }

    /** The 4-bit subtype (high nibble of the option's third byte). */
    int subtype();

    /** The MP_CAPABLE forms, told apart by option length (RFC 8684 section 3.1). */
    enum CapableForm {
        /** Length 4: on the SYN; v1 carries no key there. */
        SYN(4),
        /** Length 12: on the SYN/ACK, the listener's key. */
        SYN_ACK(12),
        /** Length 20: the third ACK, both keys. */
        ACK(20),
        /** Length 22: first data, both keys and the Data-Level Length. */
        ACK_DATA(22),
        /** Length 24: first data with the DSS checksum. */
        ACK_DATA_CSUM(24);

        public final int length;

        CapableForm(int length) {
            this.length = length;
        }
    }

    /**
     * MP_CAPABLE. Fields a form does not carry are zero: {@code senderKey} from SYN_ACK on,
     * {@code receiverKey} from ACK on, {@code dataLevelLength} from ACK_DATA on, {@code checksum}
     * in ACK_DATA_CSUM only.
     */
    record MpCapable(CapableForm form, int version, int flags, long senderKey, long receiverKey,
                     int dataLevelLength, int checksum) implements MptcpOption {
        public int subtype() { return MP_CAPABLE; }

        public int length() { return form.length; }

        public static MpCapable syn(int flags) {
            return new MpCapable(CapableForm.SYN, 1, flags, 0, 0, 0, 0);
        }

        public static MpCapable synAck(int flags, long senderKey) {
            return new MpCapable(CapableForm.SYN_ACK, 1, flags, senderKey, 0, 0, 0);
        }

        public static MpCapable ack(int flags, long senderKey, long receiverKey) {
            return new MpCapable(CapableForm.ACK, 1, flags, senderKey, receiverKey, 0, 0);
        }

        public static MpCapable ackData(int flags, long senderKey, long receiverKey, int dll) {
            return new MpCapable(CapableForm.ACK_DATA, 1, flags, senderKey, receiverKey, dll, 0);
        }

        public static MpCapable ackDataCsum(int flags, long senderKey, long receiverKey, int dll,
                                            int checksum) {
            return new MpCapable(CapableForm.ACK_DATA_CSUM, 1, flags, senderKey, receiverKey, dll,
                    checksum);
        }
    }

    /** MP_JOIN on the SYN (length 12): the receiver's token and the sender's random nonce. */
    record MpJoinSyn(boolean backup, int addressId, int token, int nonce) implements MptcpOption {
        public int subtype() { return MP_JOIN; }

        public int length() { return 12; }
    }

    /** MP_JOIN on the SYN/ACK (length 16): the leftmost 64 bits of the sender's HMAC. */
    record MpJoinSynAck(boolean backup, int addressId, long truncatedHmac, int nonce)
            implements MptcpOption {
        public int subtype() { return MP_JOIN; }

        public int length() { return 16; }
    }

    /** MP_JOIN on the third ACK (length 24): the leftmost 160 bits of the sender's HMAC. */
    record MpJoinAck(byte[] hmac) implements MptcpOption {
        public MpJoinAck {
            if (hmac.length != 20) {
                throw new IllegalArgumentException("MP_JOIN ACK HMAC is 20 bytes, got " + hmac.length);
            }
            hmac = hmac.clone();
        }

        public int subtype() { return MP_JOIN; }

        public int length() { return 24; }

        @Override
        public byte[] hmac() {
            return hmac.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof MpJoinAck j && Arrays.equals(j.hmac, hmac);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(hmac);
        }

        @Override
        public String toString() {
            return "MpJoinAck[hmac=" + HexFormat.of().formatHex(hmac) + "]";
        }
    }

    /**
     * Data Sequence Signal (RFC 8684 section 3.3). Absent parts: {@code hasDataAck} false (then
     * {@code dataAck} is 0), {@code hasMapping} false (then dsn, ssn, dataLevelLength are 0),
     * {@code hasChecksum} false. {@code dataAck64}/{@code dsn64} say whether the wire carries the
     * 8-byte form; a 4-byte value is held in the low 32 bits, not yet expanded (see
     * {@link DataSeq#expand32}). {@code ssn} is the relative subflow sequence number (first payload
     * byte = 1). A data-level length of 0 is the infinite mapping.
     */
    record Dss(boolean hasDataAck, boolean dataAck64, long dataAck,
               boolean hasMapping, boolean dsn64, long dsn, int ssn, int dataLevelLength,
               boolean dataFin, boolean hasChecksum, int checksum) implements MptcpOption {
        public static final int FLAG_A = 0x01;
        public static final int FLAG_a = 0x02;
        public static final int FLAG_M = 0x04;
        public static final int FLAG_m = 0x08;
        public static final int FLAG_F = 0x10;

        public int subtype() { return DSS; }

        public int length() {
            return 4 + (hasDataAck ? (dataAck64 ? 8 : 4) : 0) + (hasMapping ? (dsn64 ? 14 : 10) : 0)
                    + (hasChecksum ? 2 : 0);
        }

        /** The flags byte as sent. */
        public int flags() {
            return (hasDataAck ? FLAG_A : 0) | (dataAck64 ? FLAG_a : 0) | (hasMapping ? FLAG_M : 0)
                    | (dsn64 ? FLAG_m : 0) | (dataFin ? FLAG_F : 0);
        }

        /** A DSS that carries only a DATA_ACK (64-bit). */
        public static Dss ackOnly(long dataAck) {
            return new Dss(true, true, dataAck, false, false, 0, 0, 0, false, false, 0);
        }
    }

    /**
     * ADD_ADDR (RFC 8684 section 3.4.1). {@code port} is -1 when absent. {@code truncatedHmac} is
     * the rightmost 64 bits of the HMAC and is only on the wire when {@code echo} is false.
     */
    record AddAddr(boolean echo, int addressId, InetAddress address, int port, long truncatedHmac)
            implements MptcpOption {
        public int subtype() { return ADD_ADDR; }

        public int length() {
            return 4 + address.getAddress().length + (hasPort() ? 2 : 0) + (echo ? 0 : 8);
        }

        public boolean hasPort() {
            return port >= 0;
        }
    }

    /** REMOVE_ADDR with 1 to 8 address ids (RFC 8684 section 3.4.2). */
    record RemoveAddr(List<Integer> addressIds) implements MptcpOption {
        public RemoveAddr {
            addressIds = List.copyOf(addressIds);
        }

        public int subtype() { return REMOVE_ADDR; }

        public int length() { return 3 + addressIds.size(); }
    }

    /** MP_PRIO (length 3 in v1): change this subflow's backup priority (RFC 8684 section 3.3.8). */
    record MpPrio(boolean backup) implements MptcpOption {
        public int subtype() { return MP_PRIO; }

        public int length() { return 3; }
    }

    /** MP_FAIL (length 12): the 64-bit DSN at which a checksum failed (RFC 8684 section 3.7). */
    record MpFail(long dsn) implements MptcpOption {
        public int subtype() { return MP_FAIL; }

        public int length() { return 12; }
    }

    /** MP_FASTCLOSE (length 12): the key of the host that receives it (RFC 8684 section 3.5). */
    record MpFastclose(long receiverKey) implements MptcpOption {
        public int subtype() { return MP_FASTCLOSE; }

        public int length() { return 12; }
    }

    /**
     * MP_TCPRST (length 4, RFC 8684 section 3.6): flags U V W T (T = transient, 0x01) and a reason.
     */
    record MpTcpRst(int flags, int reason) implements MptcpOption {
        public static final int FLAG_TRANSIENT = 0x01;
        public static final int REASON_UNSPECIFIED = 0x00;
        public static final int REASON_MPTCP_ERROR = 0x01;
        public static final int REASON_LACK_OF_RESOURCES = 0x02;
        public static final int REASON_ADMIN_PROHIBITED = 0x03;
        public static final int REASON_TOO_MUCH_OUTSTANDING = 0x04;
        public static final int REASON_UNACCEPTABLE_PERFORMANCE = 0x05;
        public static final int REASON_MIDDLEBOX_INTERFERENCE = 0x06;

        public int subtype() { return MP_TCPRST; }

        public int length() { return 4; }
    }

    /** A subtype we do not know (for example MP_EXPERIMENTAL 0xf), kept with all its bytes. */
    record MptcpUnknown(int subtype, byte[] raw) implements MptcpOption {
        public MptcpUnknown {
            raw = raw.clone();
        }

        public int length() { return raw.length; }

        @Override
        public byte[] raw() {
            return raw.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof MptcpUnknown u && u.subtype == subtype && Arrays.equals(u.raw, raw);
        }

        @Override
        public int hashCode() {
            return 31 * subtype + Arrays.hashCode(raw);
        }

        @Override
        public String toString() {
            return "MptcpUnknown[subtype=" + subtype + ", raw=" + HexFormat.of().formatHex(raw) + "]";
        }
    }

    /**
     * A known subtype that could not be read: the wrong length for its form, an unknown version,
     * or flags that make the option invalid. {@code raw} holds the whole option from the kind byte.
     */
    record MptcpMalformed(int subtype, String reason, byte[] raw) implements MptcpOption {
        public MptcpMalformed {
            raw = raw.clone();
        }

        public int length() { return raw.length; }

        @Override
        public byte[] raw() {
            return raw.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof MptcpMalformed m && m.subtype == subtype && m.reason.equals(reason)
                    && Arrays.equals(m.raw, raw);
        }

        @Override
        public int hashCode() {
            return 31 * subtype + reason.hashCode();
        }

        @Override
        public String toString() {
            return "MptcpMalformed[subtype=" + subtype + ", reason=" + reason + ", raw="
                    + HexFormat.of().formatHex(raw) + "]";
        }
    }
}
