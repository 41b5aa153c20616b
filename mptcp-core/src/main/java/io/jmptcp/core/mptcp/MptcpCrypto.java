package io.jmptcp.core.mptcp;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The MPTCP v1 crypto of RFC 8684, with HMAC-SHA256 as the only algorithm (flag H).
 *
 * <ul>
 *   <li>Token and IDSN (section 3.2 and 3.1): SHA-256 over the 64-bit key in network order; the
 *       token is the most significant 32 bits of the hash, the IDSN the least significant 64.
 *       The first data byte has DSN = IDSN + 1.</li>
 *   <li>HMAC (section 3.2): HMAC-SHA256 with the 16-byte key {@code key1 || key2}, where key1 is
 *       always the key of the host that computes and sends the value.</li>
 *   <li>MP_JOIN: the listener's SYN/ACK carries the leftmost 64 bits of
 *       HMAC(Key-B || Key-A, R-B || R-A); the initiator's third ACK the leftmost 160 bits of
 *       HMAC(Key-A || Key-B, R-A || R-B).</li>
 *   <li>ADD_ADDR (section 3.4.1): the rightmost 64 bits of
 *       HMAC(Key-sender || Key-receiver, Address ID || Address || Port), port 0 when absent.</li>
 * </ul>
 *
 * All methods are pure functions of their arguments; keys never come from here.
 */
public final class MptcpCrypto {
    /** Length of the HMAC carried in the MP_JOIN third ACK (RFC 8684 section 3.2). */
    public static final int JOIN_ACK_HMAC_LENGTH = 20;

    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    });

    private static final ThreadLocal<Mac> HMAC = ThreadLocal.withInitial(() -> {
        try {
            return Mac.getInstance("HmacSHA256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no HmacSHA256", e);
        }
    });

    private MptcpCrypto() {
    }

    /** SHA-256 of the key as 8 bytes, big-endian. */
    public static byte[] keyHash(long key) {
        MessageDigest md = SHA256.get();
        md.reset();
        return md.digest(ByteBuffer.allocate(8).putLong(key).array());
    }

    /** The token of a key: the most significant 32 bits of SHA-256(key) (RFC 8684 section 3.2). */
    public static int token(long key) {
        return ByteBuffer.wrap(keyHash(key)).getInt(0);
    }

    /** The initial data sequence number of a key: the least significant 64 bits of SHA-256(key). */
    public static long idsn(long key) {
        return ByteBuffer.wrap(keyHash(key)).getLong(24);
    }

    /** HMAC-SHA256 with the key {@code key1 || key2} (each 8 bytes, big-endian) over {@code msg}. */
    public static byte[] hmac(long key1, long key2, byte[] msg) {
        byte[] k = ByteBuffer.allocate(16).putLong(key1).putLong(key2).array();
        Mac mac = HMAC.get();
        try {
            mac.init(new SecretKeySpec(k, "HmacSHA256"));
        } catch (InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 refused a 16-byte key", e);
        }
        return mac.doFinal(msg);
    }

    /** The full MP_JOIN HMAC computed by the host with {@code ownKey} and {@code ownNonce}. */
    public static byte[] joinHmac(long ownKey, long peerKey, int ownNonce, int peerNonce) {
        return hmac(ownKey, peerKey, ByteBuffer.allocate(8).putInt(ownNonce).putInt(peerNonce).array());
    }

    /** The 64-bit truncated HMAC a listener puts in its MP_JOIN SYN/ACK (leftmost 64 bits). */
    public static long joinSynAckHmac(long listenerKey, long initiatorKey, int listenerNonce,
                                      int initiatorNonce) {
        return ByteBuffer.wrap(joinHmac(listenerKey, initiatorKey, listenerNonce, initiatorNonce))
                .getLong(0);
    }

    /** The 160-bit HMAC an initiator puts in its MP_JOIN third ACK (leftmost 20 bytes). */
    public static byte[] joinAckHmac(long initiatorKey, long listenerKey, int initiatorNonce,
                                     int listenerNonce) {
        return Arrays.copyOf(joinHmac(initiatorKey, listenerKey, initiatorNonce, listenerNonce),
                JOIN_ACK_HMAC_LENGTH);
    }

    /**
     * The truncated ADD_ADDR HMAC: the rightmost 64 bits of HMAC(sender key || receiver key,
     * id || address || port), with port 0 when the option carries none ({@code port < 0}).
     */
    public static long addAddrHmac(long senderKey, long receiverKey, int addressId,
                                   InetAddress address, int port) {
        byte[] addr = address.getAddress();
        ByteBuffer msg = ByteBuffer.allocate(1 + addr.length + 2);
        msg.put((byte) addressId).put(addr).putShort((short) Math.max(port, 0));
        byte[] h = hmac(senderKey, receiverKey, msg.array());
        return ByteBuffer.wrap(h).getLong(h.length - 8);
    }

    /** Constant-time comparison for received HMACs. */
    public static boolean hmacEquals(byte[] a, byte[] b) {
        return MessageDigest.isEqual(a, b);
    }
}
