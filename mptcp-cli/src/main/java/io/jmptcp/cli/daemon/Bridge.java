package io.jmptcp.cli.daemon;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.FastThreadLocal;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Relays bytes between a Netty channel and an {@link Endpoint} without a thread of its own: every
 * field is touched only on the channel's event loop, and the endpoint's readiness callback just
 * schedules a {@link #pump()} there. Backpressure both ways:
 * <ul>
 *   <li>channel to endpoint: bytes the endpoint does not take stay queued and the channel stops
 *       reading ({@code autoRead} off) until they are gone;</li>
 *   <li>endpoint to channel: the bridge reads from the endpoint only while the channel is writable,
 *       so unread bytes stay in the stack's receive buffer and its window closes.</li>
 * </ul>
 * Half-closes pass through (FIN to DATA_FIN and back). A failed endpoint (its failure(), or a read
 * or write that throws) closes the channel hard, never as if the endpoint had ended cleanly; a
 * channel that goes away early aborts the endpoint, as the kernel resets a socket closed with
 * unread data.
 */
public final class Bridge {
    private static final Logger LOG = LoggerFactory.getLogger(Bridge.class);
    private static final int CHUNK = 16 * 1024;
    /**
     * Where a direct (off-heap) buffer from the channel is copied for the endpoint's byte[] write:
     * one per event-loop thread, not one per relay (issue 12: 16 KiB held by every idle connection).
     * The endpoint's write copies synchronously, so the array is free again when it returns.
     */
    private static final FastThreadLocal<byte[]> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected byte[] initialValue() {
            return new byte[CHUNK];
        }
    };
    /** While draining, the client's side counts as finished once it sent nothing for this long. */
    static final long DRAIN_QUIET_MILLIS = 500;

    private final Channel ch;
    private final Endpoint ep;
    private final DaemonStats stats;
    private final String label;
    private final Consumer<Bridge> onFinish;
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final ArrayDeque<ByteBuf> pending = new ArrayDeque<>(4); // small while idle (issue 12)
    private final long startNanos = System.nanoTime();
    private boolean started;
    private boolean chInputDone;
    private boolean epOutputShut;
    private boolean epInputDone;
    private boolean chOutputShut;
    private boolean finished;
    private long up;
    private long down;
    private long lastClientBytesNanos = System.nanoTime();

    /**
     * @param label    for log lines, e.g. "socks 127.0.0.1:50000"
     * @param onFinish runs once on the event loop when the relay ended
     */
    public Bridge(Channel ch, Endpoint ep, DaemonStats stats, String label, Consumer<Bridge> onFinish) {
        this.ch = ch;
        this.ep = ep;
        this.stats = stats;
        this.label = label;
        this.onFinish = onFinish;
    }

    /**
     * Installs the relay; {@code early} are bytes the channel delivered before (released by the
     * bridge), {@code inputShut} whether the channel's peer already ended its output.
     */
    public void start(List<ByteBuf> early, boolean inputShut) {
        ch.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        ch.eventLoop().execute(() -> {
            started = true;
            pending.addAll(early);
            chInputDone = inputShut;
            stats.inc("relays_opened_total");
            LOG.info("{}: relaying to {}", label, ep.describe());
            ch.pipeline().addLast("bridge", new Handler());
            ep.onReady(this::schedule);
            if (!ch.isActive()) {
                channelGone();
                return;
            }
            pump();
        });
    }

    /** Bytes from the channel to the endpoint so far. */
    public long bytesUp() {
        return up;
    }

    /** Bytes from the endpoint to the channel so far. */
    public long bytesDown() {
        return down;
    }

    /**
     * Graceful shutdown (SIGTERM): once the channel's side has been quiet for
     * {@link #DRAIN_QUIET_MILLIS} (a request already sent, an idle keep-alive), stop reading it,
     * pass on what is queued, end the endpoint's output (DATA_FIN), and go on relaying the other
     * way until it ends. A side that keeps sending is not cut short; the drain timeout aborts it.
     */
    public void drain() {
        ch.eventLoop().execute(this::drainWhenQuiet);
    }

    private void drainWhenQuiet() {
        if (finished || chInputDone) {
            return;
        }
        long quietNanos = System.nanoTime() - lastClientBytesNanos;
        if (pending.isEmpty() && quietNanos >= TimeUnit.MILLISECONDS.toNanos(DRAIN_QUIET_MILLIS)) {
            chInputDone = true;
            ch.config().setAutoRead(false);
            pump();
        } else {
            ch.eventLoop().schedule(this::drainWhenQuiet, 100, TimeUnit.MILLISECONDS);
        }
    }

    /** Aborts both sides (the drain timed out). */
    public void abort() {
        ch.eventLoop().execute(() -> {
            if (!finished) {
                ep.abort();
                closeChannelHard();
                finish("aborted");
            }
        });
    }

    private void schedule() {
        if (scheduled.compareAndSet(false, true)) {
            ch.eventLoop().execute(() -> {
                scheduled.set(false);
                pump();
            });
        }
    }

    /** One round of relaying both ways; event loop only. */
    private void pump() {
        if (finished || !started) {
            return;
        }
        String failure = ep.failure();
        if (failure != null) {
            failed(failure);
            return;
        }
        try {
            relay();
        } catch (IOException e) { // the endpoint failed between the check and the call
            failed(e.getMessage());
        }
    }

    private void failed(String why) {
        stats.inc("relays_failed_total");
        closeChannelHard();
        finish("failed: " + why);
    }

    private void relay() throws IOException {
        boolean wrote = false;
        while (!epInputDone && ch.isWritable()) {
            ByteBuf b = ch.alloc().heapBuffer(CHUNK);
            int n;
            try {
                n = ep.read(b.array(), b.arrayOffset() + b.writerIndex(), b.writableBytes());
            } catch (IOException e) {
                b.release();
                throw e;
            }
            if (n > 0) {
                b.writerIndex(b.writerIndex() + n);
                down += n;
                ch.write(b);
                wrote = true;
            } else {
                b.release();
                if (n < 0) {
                    epInputDone = true;
                }
                break;
            }
        }
        if (epInputDone && !chOutputShut) {
            chOutputShut = true;
            if (ch instanceof DuplexChannel d) {
                ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> d.shutdownOutput());
            } else {
                ch.flush();
            }
        } else if (wrote) {
            ch.flush();
        }
        drainPending();
        if (pending.isEmpty()) {
            if (chInputDone && !epOutputShut) {
                epOutputShut = true;
                ep.shutdownOutput();
            } else if (!chInputDone && !ch.config().isAutoRead()) {
                ch.config().setAutoRead(true);
                ch.read();
            }
        }
        if (chInputDone && epOutputShut && epInputDone && chOutputShut) {
            ep.close();
            ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            finish("closed");
        }
    }

    private void drainPending() throws IOException {
        while (!pending.isEmpty()) {
            ByteBuf b = pending.peek();
            int n;
            if (b.hasArray()) {
                n = ep.write(b.array(), b.arrayOffset() + b.readerIndex(), b.readableBytes());
            } else {
                byte[] scratch = SCRATCH.get();
                int len = Math.min(b.readableBytes(), scratch.length);
                b.getBytes(b.readerIndex(), scratch, 0, len);
                n = ep.write(scratch, 0, len);
            }
            if (n > 0) {
                b.skipBytes(n);
                up += n;
            }
            if (!b.isReadable()) {
                pending.poll().release();
                continue;
            }
            if (n == 0) {
                ch.config().setAutoRead(false); // the endpoint is full: stop reading the channel
                return;
            }
        }
    }

    /** The channel closed (or was never active): nothing more can reach it. */
    private void channelGone() {
        if (finished) {
            return;
        }
        try {
            drainPending();
        } catch (IOException e) {
            stats.inc("relays_failed_total");
            finish("failed: " + e.getMessage());
            return;
        }
        if (epInputDone && pending.isEmpty()) {
            if (!epOutputShut) {
                ep.shutdownOutput();
            }
            ep.close();
            finish("closed by the client");
        } else {
            ep.abort();
            finish("reset: the client went away first");
        }
    }

    private void closeChannelHard() {
        if (ch.isActive()) {
            try {
                ch.config().setOption(ChannelOption.SO_LINGER, 0); // RST, as the kernel would
            } catch (RuntimeException ignored) {
                // not a socket (tests): a plain close
            }
        }
        ch.close();
    }

    private void finish(String how) {
        finished = true;
        ep.onReady(() -> { });
        for (ByteBuf b : pending) {
            b.release();
        }
        pending.clear();
        stats.inc("relays_closed_total");
        stats.add("bytes_up_total", up);
        stats.add("bytes_down_total", down);
        LOG.info("{}: {} after {} ms; {} bytes up, {} bytes down ({})", label, how,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos), up, down, ep.describe());
        onFinish.accept(this);
    }

    private final class Handler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (finished || !(msg instanceof ByteBuf b) || chInputDone) {
                ReferenceCountUtil.release(msg);
                return;
            }
            lastClientBytesNanos = System.nanoTime();
            pending.add(b);
            pump();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                chInputDone = true;
                pump();
            }
            ReferenceCountUtil.release(evt);
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            pump();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            channelGone();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("{}: {}", label, cause.toString());
            ctx.close();
        }
    }
}
