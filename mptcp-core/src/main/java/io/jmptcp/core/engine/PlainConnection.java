package io.jmptcp.core.engine;
import io.jmptcp.core.conn.SegmentSink;
import io.jmptcp.core.conn.ConnectionInfo;
import io.jmptcp.core.conn.Connection;
import io.jmptcp.core.conn.Failure;

import io.jmptcp.core.tcp.FourTuple;
import io.jmptcp.core.tcp.Segment;
import io.jmptcp.core.tcp.TcpConnection;
import io.jmptcp.core.tcp.TcpError;
import io.jmptcp.core.tcp.TcpState;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.Consumer;

/**
 * A plain TCP connection ({@code --mptcp off}): one {@link TcpConnection} behind the
 * {@link Connection} contract. MPTCP options a peer sends are ignored by the engine, which is how
 * a host without MPTCP answers (RFC 8684 section 3.1: no MP_CAPABLE in the SYN/ACK means plain TCP).
 */
public final class PlainConnection implements Connection {
    private final TcpConnection tcp;
    private final FourTuple tuple;
    private final boolean passive;
    private final Consumer<Segment> emitter;
    private SegmentSink sink;
    private boolean established;
    private boolean inputSeen;
    private boolean outputShut;
    private long bytesSent;
    private long bytesReceived;

    PlainConnection(TcpConnection tcp, boolean passive) {
        this.tcp = tcp;
        this.tuple = tcp.tuple();
        this.passive = passive;
        this.emitter = s -> sink.emit(tuple, s);
    }

    /**
     * Wraps an engine made elsewhere (tests with fixed ISNs); {@code passive} for one made by
     * {@link TcpConnection#listen}. The caller binds its 4-tuple.
     */
    public static PlainConnection of(TcpConnection tcp, boolean passive) {
        return new PlainConnection(tcp, passive);
    }

    /** The TCP engine underneath (for tests and status). */
    public TcpConnection tcp() {
        return tcp;
    }

    @Override
    public void input(long nowMicros, FourTuple t, Segment segment) {
        inputSeen = true;
        tcp.input(nowMicros, segment);
        noteState();
    }

    @Override
    public void poll(long nowMicros, SegmentSink out) {
        sink = out;
        tcp.poll(nowMicros, emitter);
        sink = null;
        noteState();
    }

    private void noteState() {
        if (tcp.state().synchronised()) {
            established = true;
        }
    }

    @Override
    public long pollAt() {
        return tcp.pollAt();
    }

    @Override
    public boolean finished() {
        TcpState s = tcp.state();
        // A passive connection whose SYN the engine did not take stays in LISTEN: nothing to keep.
        boolean dead = s == TcpState.CLOSED || (passive && inputSeen && s == TcpState.LISTEN);
        return dead && tcp.pollAt() == TcpConnection.NEVER;
    }

    @Override
    public int write(byte[] src, int off, int len) {
        if (outputShut) {
            throw new IllegalStateException("write after shutdownOutput");
        }
        int n = tcp.send(ByteBuffer.wrap(src, off, len));
        if (n > 0) {
            bytesSent += n;
        }
        return Math.max(0, n);
    }

    @Override
    public int read(byte[] dst, int off, int len) {
        int n = tcp.read(dst, off, len);
        if (n > 0) {
            bytesReceived += n;
        }
        return n;
    }

    @Override
    public long readable() {
        return tcp.readable();
    }

    @Override
    public long writable() {
        return outputShut || state() != State.ESTABLISHED ? 0 : tcp.sendBufferSpace();
    }

    @Override
    public void shutdownOutput() {
        if (!outputShut) {
            outputShut = true;
            tcp.close();
        }
    }

    @Override
    public void close() {
        shutdownOutput();
    }

    @Override
    public void abort() {
        tcp.abort();
    }

    @Override
    public State state() {
        if (tcp.error() != null) {
            return State.FAILED;
        }
        return switch (tcp.state()) {
            case LISTEN, SYN_SENT, SYN_RECEIVED -> State.CONNECTING;
            case TIME_WAIT -> State.CLOSED;
            case CLOSED -> established ? State.CLOSED : State.FAILED;
            default -> State.ESTABLISHED;
        };
    }

    @Override
    public Failure failure() {
        TcpError e = tcp.error();
        if (e == null) {
            // Only a local close() while connecting ends a TCP connection without an error.
            return state() == State.FAILED
                    ? new Failure(Failure.Kind.ABORTED, "connection closed before it was established") : null;
        }
        return Failure.of(e);
    }

    /** Whether the peer's FIN arrived and everything before it was read. */
    public boolean isEof() {
        return tcp.isEof();
    }

    @Override
    public ConnectionInfo info() {
        String local = tuple.localAddress().getHostAddress() + ":" + tuple.localPort();
        String remote = tuple.remoteAddress().getHostAddress() + ":" + tuple.remotePort();
        ConnectionInfo.Subflow sf = new ConnectionInfo.Subflow(local, remote, tcp.state().name(), false,
                Math.max(0, tcp.srttMicros()), tcp.cwnd(), tcp.congestionControl().ssthresh(), tcp.pipe(),
                bytesSent, bytesReceived,
                tcp.retransmittedSegments());
        return new ConnectionInfo(local, remote, state(), false, false, bytesSent, bytesReceived, "-",
                tcp.congestionControl().getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT),
                tcp.sendWindowLeft(), List.of(sf));
    }
}
