package io.jmptcp.core.robust;

import io.jmptcp.core.conn.Connection;

/**
 * One end of a transfer whose bytes can be checked one by one: byte {@code i} of a stream is a
 * function of the stream's seed and {@code i}, so the reader knows every byte it should get and
 * notes the first position where a byte differs. It writes {@code toSend} bytes (then shuts its
 * output down unless {@link #holdOpen}) and reads everything.
 */
final class PatternApp {
    private final long toSend;
    private final long sendSeed;
    private final long recvSeed;
    private final byte[] buf = new byte[16 * 1024];
    Connection conn;
    long written;
    long received;
    boolean eof;
    boolean holdOpen;
    /** Reads nothing while set (a slow application: the receive window fills and closes). */
    boolean readPaused;
    private boolean shutdown;
    /** Position of the first received byte that differs from the peer's stream, or -1. */
    long firstCorrupt = -1;

    /**
     * @param sendSeed seed of the stream this end writes
     * @param recvSeed seed of the stream the peer writes (what this end must read)
     */
    PatternApp(long toSend, long sendSeed, long recvSeed) {
        this.toSend = toSend;
        this.sendSeed = sendSeed;
        this.recvSeed = recvSeed;
    }

    static byte byteAt(long seed, long i) {
        long z = seed + i * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return (byte) (z ^ (z >>> 31));
    }

    void pump() {
        Connection c = conn;
        if (c == null || c.state() == Connection.State.CONNECTING) {
            return;
        }
        while (written < toSend && c.state() == Connection.State.ESTABLISHED) {
            int n = (int) Math.min(buf.length, toSend - written);
            for (int i = 0; i < n; i++) {
                buf[i] = byteAt(sendSeed, written + i);
            }
            int w = c.write(buf, 0, n);
            if (w <= 0) {
                break;
            }
            written += w;
        }
        if (written == toSend && !shutdown && !holdOpen && c.state() == Connection.State.ESTABLISHED) {
            c.shutdownOutput();
            shutdown = true;
        }
        while (!eof && !readPaused) {
            int n = c.read(buf, 0, buf.length);
            if (n < 0) {
                eof = true;
            } else if (n == 0) {
                break;
            } else {
                for (int i = 0; i < n && firstCorrupt < 0; i++) {
                    if (buf[i] != byteAt(recvSeed, received + i)) {
                        firstCorrupt = received + i;
                    }
                }
                received += n;
            }
        }
    }
}
