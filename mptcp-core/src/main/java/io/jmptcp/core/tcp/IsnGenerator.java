package io.jmptcp.core.tcp;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Initial sequence numbers per RFC 6528 section 3: {@code ISN = M + F(localip, localport, remoteip,
 * remoteport, secretkey)}, where M is a timer ticking every 4 microseconds (taken from the time the
 * caller passes in) and F is SHA-256 over the 4-tuple and a secret. The secret comes from outside
 * (the runtime draws it from a SecureRandom once); this class creates no randomness and reads no clock.
 * The same hash also gives a per-connection offset for the timestamp clock (RFC 7323 section 7.1).
 */
public final class IsnGenerator {
    private final byte[] secret;

    public IsnGenerator(byte[] secret) {
        if (secret.length < 16) {
            throw new IllegalArgumentException("secret must be at least 16 bytes");
        }
        this.secret = secret.clone();
    }

    /** The ISN for a connection opened at {@code nowMicros}. */
    public int isn(FourTuple t, long nowMicros) {
        return (int) (nowMicros / 4) + hash(t).getInt(0);
    }

    /** A per-connection random offset for TSval (RFC 7323 section 7.1). */
    public int timestampOffset(FourTuple t) {
        return hash(t).getInt(4);
    }

    private ByteBuffer hash(FourTuple t) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            t.updateDigest(md);
            md.update(secret);
            return ByteBuffer.wrap(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }
}
