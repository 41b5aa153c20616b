package io.jmptcp.cli.daemon;

import java.io.ByteArrayOutputStream;
import java.io.IOException;

/**
 * An in-memory endpoint for tests: what the relay writes is collected (and, in echo mode, offered
 * back for reading); at most {@code capacity} bytes are held unread, which is the backpressure.
 */
public final class FakeEndpoint implements Endpoint {
    private final boolean echo;
    private final int capacity;
    private final ByteArrayOutputStream written = new ByteArrayOutputStream();
    private byte[] toRead = new byte[0];
    private int readPos;
    private boolean outputShut;
    private boolean inputEof;
    private volatile String failure;
    private volatile Runnable ready = () -> { };
    public volatile boolean aborted;
    public volatile boolean closed;

    public FakeEndpoint(boolean echo, int capacity) {
        this.echo = echo;
        this.capacity = capacity;
    }

    @Override
    public synchronized int read(byte[] dst, int off, int len) throws IOException {
        int left = toRead.length - readPos;
        if (left == 0) {
            if (failure != null) {
                throw new IOException(failure);
            }
            return inputEof ? -1 : 0;
        }
        int n = Math.min(len, left);
        System.arraycopy(toRead, readPos, dst, off, n);
        readPos += n;
        return n;
    }

    @Override
    public synchronized int write(byte[] src, int off, int len) throws IOException {
        if (failure != null) {
            throw new IOException(failure);
        }
        if (outputShut) {
            throw new IllegalStateException("write after shutdownOutput");
        }
        int room = echo ? capacity - (toRead.length - readPos) : capacity - written.size();
        int n = Math.max(0, Math.min(room, len));
        written.write(src, off, n);
        if (echo && n > 0) {
            byte[] more = new byte[toRead.length - readPos + n];
            System.arraycopy(toRead, readPos, more, 0, toRead.length - readPos);
            System.arraycopy(src, off, more, toRead.length - readPos, n);
            toRead = more;
            readPos = 0;
            ready.run();
        }
        return n;
    }

    /** Bytes the far side "sends" to the relay. */
    public synchronized void offer(byte[] data) {
        byte[] more = new byte[toRead.length - readPos + data.length];
        System.arraycopy(toRead, readPos, more, 0, toRead.length - readPos);
        System.arraycopy(data, 0, more, toRead.length - readPos, data.length);
        toRead = more;
        readPos = 0;
        ready.run();
    }

    /** The far side's FIN. */
    public synchronized void eof() {
        inputEof = true;
        ready.run();
    }

    public void fail(String why) {
        failure = why;
        ready.run();
    }

    public synchronized byte[] written() {
        return written.toByteArray();
    }

    /** The far side consumed everything written so far (room again). */
    public synchronized void consume() {
        written.reset();
        ready.run();
    }

    public synchronized boolean outputShut() {
        return outputShut;
    }

    @Override
    public synchronized void shutdownOutput() {
        outputShut = true;
        if (echo) {
            inputEof = true; // an echo server half-closes after the client's FIN
        }
    }

    @Override
    public void close() {
        closed = true;
        shutdownOutput();
    }

    @Override
    public void abort() {
        aborted = true;
    }

    @Override
    public String failure() {
        return failure;
    }

    @Override
    public void onReady(Runnable r) {
        ready = r;
    }

    @Override
    public String localHost() {
        return "10.3.1.1";
    }

    @Override
    public int localPort() {
        return 40000;
    }

    @Override
    public String describe() {
        return "fake";
    }
}
