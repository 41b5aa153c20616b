package io.jmptcp.core.mptcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.Random;
import org.junit.jupiter.api.Test;

class TokenTableTest {
    @Test
    void allocatesUniqueTokensAndFindsConnections() {
        Random rnd = new Random(1);
        TokenTable<String> t = new TokenTable<>(rnd::nextLong);
        long k1 = t.allocate("one");
        long k2 = t.allocate("two");
        assertNotEquals(0, k1);
        assertNotEquals(MptcpCrypto.token(k1), MptcpCrypto.token(k2));
        assertSame("one", t.lookup(MptcpCrypto.token(k1)));
        assertSame("two", t.lookup(MptcpCrypto.token(k2)));
        t.release(k1);
        assertNull(t.lookup(MptcpCrypto.token(k1)));
        assertEquals(1, t.size());
    }

    @Test
    void givesUpAfterTheRetryLimitWhenEveryTokenCollides() {
        long[] keys = {0, 42, 42, 42, 42, 42};
        int[] i = {0};
        TokenTable<String> t = new TokenTable<>(() -> keys[Math.min(i[0]++, keys.length - 1)]);
        // The first draw is 0 (never a key), the second 42.
        assertEquals(42, t.allocate("a"));
        assertEquals(0, t.allocate("b"), "42 again and again: the token is taken, so no key");
        assertSame("a", t.lookup(MptcpCrypto.token(42)));
    }
}
