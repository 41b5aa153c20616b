package io.jmptcp.core.sim;

import io.jmptcp.core.tcp.TcpConnection;
import io.jmptcp.core.tcp.TcpState;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.SplittableRandom;

/**
 * A bulk-transfer application for one end: writes {@code toSend} pseudo-random bytes (from a seed)
 * then closes, and reads everything the peer sends, hashing both streams with SHA-256. A slow
 * reader reads at most {@code readBudget} bytes per {@code readInterval} of virtual time.
 */
public final class BulkApp implements SimHost.App {
    private final long toSend;
    private final SplittableRandom gen;
    private final MessageDigest sentHash;
    private final MessageDigest recvHash;
    private final ByteBuffer scratch = ByteBuffer.allocate(64 * 1024);
    private final byte[] readBuf = new byte[64 * 1024];
    private long written;
    private long received;
    private boolean eof;
    private long lastByteTime = -1;
    private boolean closed;
    private long readBudget = Long.MAX_VALUE;
    private long readInterval;
    private long budgetLeft = Long.MAX_VALUE;
    private long budgetRefill;
    private long pauseFrom = Long.MAX_VALUE;
    private long pauseTo;

    public BulkApp(long toSend, long seed) {
        this.toSend = toSend;
        this.gen = new SplittableRandom(seed);
        try {
            this.sentHash = MessageDigest.getInstance("SHA-256");
            this.recvHash = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        scratch.limit(0);
    }

    /** Reads at most {@code bytes} per {@code intervalMicros}: a slow receiver that closes its window. */
    public BulkApp slowReader(long bytes, long intervalMicros) {
        this.readBudget = bytes;
        this.readInterval = intervalMicros;
        this.budgetLeft = bytes;
        return this;
    }

    /** The application stops reading during [from, to): the receive window fills and closes. */
    public BulkApp pauseReads(long from, long to) {
        this.pauseFrom = from;
        this.pauseTo = to;
        return this;
    }

    @Override
    public boolean pump(TcpConnection c, long now) {
        boolean changed = false;
        TcpState s = c.state();
        if (s == TcpState.CLOSED || s == TcpState.LISTEN || s == TcpState.SYN_SENT) {
            return false;
        }
        // Write.
        while (!closed && written < toSend) {
            if (!scratch.hasRemaining()) {
                int n = (int) Math.min(scratch.capacity(), toSend - written);
                byte[] a = scratch.array();
                for (int i = 0; i < n; i += 8) {
                    long v = gen.nextLong();
                    for (int k = 0; k < 8 && i + k < n; k++) {
                        a[i + k] = (byte) (v >>> (8 * k));
                    }
                }
                scratch.clear().limit(n);
            }
            int pos = scratch.position();
            int n = c.send(scratch);
            if (n <= 0) {
                break;
            }
            sentHash.update(scratch.array(), pos, n);
            written += n;
            changed = true;
        }
        if (!closed && written == toSend && s != TcpState.SYN_RECEIVED) {
            c.close();
            closed = true;
            changed = true;
        }
        // Read.
        if (readInterval > 0 && now >= budgetRefill) {
            budgetLeft = readBudget;
            budgetRefill = now + readInterval;
        }
        boolean paused = now >= pauseFrom && now < pauseTo;
        while (budgetLeft > 0 && !paused) {
            int n = c.read(readBuf, 0, (int) Math.min(readBuf.length, budgetLeft));
            if (n < 0) {
                eof = true;
                break;
            }
            if (n == 0) {
                break;
            }
            recvHash.update(readBuf, 0, n);
            received += n;
            if (readInterval > 0) {
                budgetLeft -= n;
            }
            lastByteTime = now;
            changed = true;
        }
        if (c.isEof()) {
            eof = true;
        }
        return changed;
    }

    /** When a slow reader's budget refills next (the harness wakes the host then). */
    public long nextRefill() {
        if (readInterval <= 0) {
            return Long.MAX_VALUE;
        }
        return budgetRefill >= pauseFrom && budgetRefill < pauseTo ? pauseTo : budgetRefill;
    }

    public boolean sentAll() {
        return written == toSend && closed;
    }

    public boolean gotEof() {
        return eof;
    }

    public long received() {
        return received;
    }

    public long lastByteTime() {
        return lastByteTime;
    }

    public byte[] sentDigest() {
        try {
            return ((MessageDigest) sentHash.clone()).digest();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException(e);
        }
    }

    public byte[] receivedDigest() {
        try {
            return ((MessageDigest) recvHash.clone()).digest();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException(e);
        }
    }
}
