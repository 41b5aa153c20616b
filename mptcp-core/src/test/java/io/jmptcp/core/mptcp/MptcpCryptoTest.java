package io.jmptcp.core.mptcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * Vectors: the Linux kernel's KUnit vectors (net/mptcp/crypto_test.c, where the test strings are
 * used as raw ASCII bytes for the keys and nonces) and the worked examples of the project's wire
 * facts sheet, which were computed by an independent implementation (mptcp_vectors.py).
 */
class MptcpCryptoTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final long KEY_A = 0x0102030405060708L;
    private static final long KEY_B = 0x1122334455667788L;

    @Test
    void tokenAndIdsnOfKeyA() {
        assertEquals(HEX.formatHex(MptcpCrypto.keyHash(KEY_A)),
                "66840dda154e8a113c31dd0ad32f7f3a366a80e8136979d8f5a101d3d29d6f72");
        assertEquals(0x66840ddaL, Integer.toUnsignedLong(MptcpCrypto.token(KEY_A)));
        assertEquals(0xf5a101d3d29d6f72L, MptcpCrypto.idsn(KEY_A));
    }

    @Test
    void tokenAndIdsnOfKeyB() {
        assertEquals(0x1dce6604L, Integer.toUnsignedLong(MptcpCrypto.token(KEY_B)));
        assertEquals(0x62815714b76ae9a5L, MptcpCrypto.idsn(KEY_B));
    }

    /** crypto_test.c: key = the 16 ASCII bytes, message = the 8 ASCII bytes. */
    @ParameterizedTest
    @CsvSource({
        "0b0b0b0b0b0b0b0b, 48692054, 8385e24fb4235ac37556b6b886db106284a1da671699f46db1f235ec622dcafa",
        "aaaaaaaaaaaaaaaa, dddddddd, 2c5e219164ff1dca1c4a92318d847bb6b9d44492984e1eb71aff9022f71046e9",
        "0102030405060708, cdcdcdcd, e73b9ba9969969cefb04aa0d6df18ec2fcc075b6f23b4d8c4da736a5dbbc6e7d",
    })
    void kernelKunitVectors(String key, String msg, String expected) {
        ByteBuffer k = ByteBuffer.wrap(key.getBytes(StandardCharsets.US_ASCII));
        ByteBuffer m = ByteBuffer.wrap(msg.getBytes(StandardCharsets.US_ASCII));
        byte[] h = MptcpCrypto.joinHmac(k.getLong(0), k.getLong(8), m.getInt(0), m.getInt(4));
        assertEquals(expected, HEX.formatHex(h));
    }

    @Test
    void joinHmacsFollowTheSenderFirstRule() {
        int nonceA = 0x01020304;
        int nonceB = 0xa1b2c3d4;
        assertEquals(0x653157cd5c2a45c9L, MptcpCrypto.joinSynAckHmac(KEY_B, KEY_A, nonceB, nonceA));
        assertEquals("4dfcd80fa98e00193081f3c351049e542a026f2c",
                HEX.formatHex(MptcpCrypto.joinAckHmac(KEY_A, KEY_B, nonceA, nonceB)));
        // Swapping the roles must give a different value: the order of keys and nonces matters.
        assertFalse(MptcpCrypto.joinSynAckHmac(KEY_A, KEY_B, nonceA, nonceB) == 0x653157cd5c2a45c9L);
    }

    @Test
    void addAddrHmacIsTheRightmost64BitsAndCoversThePort() throws Exception {
        InetAddress a = InetAddress.getByName("192.168.1.2");
        assertEquals(0x4e3d4eacfba310a2L, MptcpCrypto.addAddrHmac(KEY_A, KEY_B, 1, a, -1));
        assertEquals(0xe58d90f60101449fL, MptcpCrypto.addAddrHmac(KEY_A, KEY_B, 1, a, 8080));
    }

    @Test
    void hmacEqualsComparesWholeArrays() {
        byte[] h = MptcpCrypto.joinAckHmac(KEY_A, KEY_B, 1, 2);
        assertTrue(MptcpCrypto.hmacEquals(h, h.clone()));
        byte[] other = h.clone();
        other[19] ^= 1;
        assertFalse(MptcpCrypto.hmacEquals(h, other));
        assertArrayEquals(h, MptcpCrypto.joinAckHmac(KEY_A, KEY_B, 1, 2));
    }
}
