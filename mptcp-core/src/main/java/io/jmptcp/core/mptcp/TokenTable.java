package io.jmptcp.core.mptcp;

import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The stack's table of MPTCP connections by local token (RFC 8684 section 3.2: an MP_JOIN SYN
 * names its connection by the receiver's token). New local keys are drawn here so that their
 * tokens are unique within the stack, with a bounded number of retries as Linux does
 * ({@code MPTCP_TOKEN_MAX_RETRIES}); when all fail the caller falls back to plain TCP.
 *
 * @param <C> the connection type
 */
public final class TokenTable<C> {
    /** Attempts at drawing a key with an unused token before giving up (Linux uses 4). */
    public static final int MAX_RETRIES = 4;

    private final Map<Integer, C> byToken = new HashMap<>();
    private final LongSupplier random;

    /** @param random a source of random 64-bit values (a SecureRandom in production, seeded in tests) */
    public TokenTable(LongSupplier random) {
        this.random = random;
    }

    /**
     * Draws a non-zero key whose token is not in use and registers {@code connection} under that
     * token. Returns the key, or 0 if no unique token was found.
     */
    public long allocate(C connection) {
        for (int i = 0; i < MAX_RETRIES; i++) {
            long key = random.getAsLong();
            if (key == 0) {
                continue;
            }
            int token = MptcpCrypto.token(key);
            if (!byToken.containsKey(token)) {
                byToken.put(token, connection);
                return key;
            }
        }
        return 0;
    }

    /**
     * Registers {@code connection} under the token of a key chosen elsewhere (a SYN cookie's).
     * Returns false, registering nothing, if the token is in use.
     */
    public boolean claim(long key, C connection) {
        return key != 0 && byToken.putIfAbsent(MptcpCrypto.token(key), connection) == null;
    }

    /** The connection with this local token, or null. */
    public C lookup(int token) {
        return byToken.get(token);
    }

    /** Forgets the token of a key (the connection is gone). */
    public void release(long key) {
        byToken.remove(MptcpCrypto.token(key));
    }

    public int size() {
        return byToken.size();
    }
}
