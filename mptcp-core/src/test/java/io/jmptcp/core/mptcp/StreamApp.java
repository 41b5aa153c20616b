package io.jmptcp.core.mptcp;

import io.jmptcp.core.conn.Connection;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.SplittableRandom;

/**
 * One end of a bulk transfer over a {@link Connection}: writes {@code toSend} seeded pseudo-random
 * bytes, then shuts its output down (unless told to keep it open), and reads everything, hashing
 * both streams with SHA-256.
 */
final class StreamApp {
    private final long toSend;
    private final SplittableRandom gen;
    private final MessageDigest sent;
    private final MessageDigest recv;
    private final byte[] out = new byte[32 * 1024];
    private int outPos;
    private int outLen;
    private final byte[] in = new byte[64 * 1024];
    long written;
    long received;
    boolean eof;
    boolean shutdown;
    boolean holdOpen;
    Connection conn;

    StreamApp(long toSend, long seed) {
        this.toSend = toSend;
        this.gen = new SplittableRandom(seed);
        try {
            sent = MessageDigest.getInstance("SHA-256");
            recv = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    void pump() {
        Connection c = conn;
        if (c == null || c.state() == Connection.State.CONNECTING) {
            return;
        }
        while (written < toSend && c.state() == Connection.State.ESTABLISHED) {
            if (outPos == outLen) {
                int n = (int) Math.min(out.length, toSend - written);
                for (int i = 0; i < n; i += 8) {
                    long v = gen.nextLong();
                    for (int k = 0; k < 8 && i + k < n; k++) {
                        out[i + k] = (byte) (v >>> (8 * k));
                    }
                }
                outPos = 0;
                outLen = n;
            }
            int w = c.write(out, outPos, outLen - outPos);
            if (w <= 0) {
                break;
            }
            sent.update(out, outPos, w);
            outPos += w;
            written += w;
        }
        if (written == toSend && !shutdown && !holdOpen && c.state() == Connection.State.ESTABLISHED) {
            c.shutdownOutput();
            shutdown = true;
        }
        while (!eof) {
            int n = c.read(in, 0, in.length);
            if (n < 0) {
                eof = true;
            } else if (n == 0) {
                break;
            } else {
                recv.update(in, 0, n);
                received += n;
            }
        }
    }

    byte[] sentHash() {
        try {
            return ((MessageDigest) sent.clone()).digest();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException(e);
        }
    }

    byte[] receivedHash() {
        try {
            return ((MessageDigest) recv.clone()).digest();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException(e);
        }
    }
}
