package io.jmptcp.core.sim;

import io.jmptcp.core.engine.Engine;
import java.nio.ByteBuffer;
import java.util.function.Consumer;

/**
 * The simulator's side of an {@link Engine}: one packet at a time in ({@link Engine.Rx}), every
 * emitted packet copied out as bytes to a consumer ({@link Engine.Tx}).
 */
final class SimTx implements Engine.Tx, Engine.Rx {
    private final ByteBuffer out;
    private Consumer<byte[]> wire;
    private ByteBuffer in;

    SimTx(int mtu) {
        out = ByteBuffer.allocate(mtu);
    }

    void setWire(Consumer<byte[]> wire) {
        this.wire = wire;
    }

    /** Makes {@code packet} the one inbound packet of the next poll. */
    SimTx in(byte[] packet) {
        in = ByteBuffer.wrap(packet);
        return this;
    }

    /** No inbound packet. */
    SimTx none() {
        in = null;
        return this;
    }

    @Override
    public int size() {
        return in == null ? 0 : 1;
    }

    @Override
    public ByteBuffer packet(int i) {
        return in;
    }

    @Override
    public ByteBuffer next() {
        return out.clear();
    }

    @Override
    public void commit(ByteBuffer packet) {
        byte[] b = new byte[packet.limit()];
        packet.get(0, b, 0, b.length);
        wire.accept(b);
    }
}
