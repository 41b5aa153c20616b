package io.jmptcp.cli.socks;

import io.jmptcp.cli.daemon.Bridge;
import io.jmptcp.cli.daemon.DaemonStats;
import io.jmptcp.cli.daemon.Endpoint;
import io.jmptcp.cli.daemon.Relays;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.socksx.v5.DefaultSocks5CommandResponse;
import io.netty.handler.codec.socksx.v5.DefaultSocks5InitialResponse;
import io.netty.handler.codec.socksx.v5.DefaultSocks5PasswordAuthResponse;
import io.netty.handler.codec.socksx.v5.Socks5AddressType;
import io.netty.handler.codec.socksx.v5.Socks5AuthMethod;
import io.netty.handler.codec.socksx.v5.Socks5CommandRequest;
import io.netty.handler.codec.socksx.v5.Socks5CommandRequestDecoder;
import io.netty.handler.codec.socksx.v5.Socks5CommandStatus;
import io.netty.handler.codec.socksx.v5.Socks5CommandType;
import io.netty.handler.codec.socksx.v5.Socks5InitialRequest;
import io.netty.handler.codec.socksx.v5.Socks5PasswordAuthRequest;
import io.netty.handler.codec.socksx.v5.Socks5PasswordAuthRequestDecoder;
import io.netty.handler.codec.socksx.v5.Socks5PasswordAuthStatus;
import io.netty.util.NetUtil;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One SOCKS5 client (RFC 1928, with RFC 1929 username/password when configured), on Netty's
 * {@code socksx.v5} codec: method selection, optional authentication, the request, then the
 * CONNECT through the {@link Upstream} and a {@link Bridge} for the data. Every way a client can
 * go wrong ends with the RFC's reply or a clean close, a log line and a count in
 * {@code socks_rejected_total{reason}}; a client that has not completed its request within the
 * handshake timeout is closed.
 */
public final class SocksHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(SocksHandler.class);
    /** RFC 1035 section 2.3.4: names are at most 255 octets on the wire, 253 characters as text. */
    static final int MAX_DOMAIN = 253;
    static final int MAX_LABEL = 63;
    /** Default cap on simultaneous SOCKS clients (handshaking and relaying). */
    public static final int DEFAULT_MAX_CLIENTS = 10_000;

    /** What the handler needs from the daemon. */
    public record Settings(String username, String password, long handshakeTimeoutMillis, int maxClients) {
        /** Up to {@link #DEFAULT_MAX_CLIENTS} clients at a time. */
        public Settings(String username, String password, long handshakeTimeoutMillis) {
            this(username, password, handshakeTimeoutMillis, DEFAULT_MAX_CLIENTS);
        }

        public boolean authRequired() {
            return username != null;
        }
    }

    private enum Phase { GREETING, AUTH, REQUEST, CONNECTING, RELAYING, DONE }

    private final Settings settings;
    private final Upstream upstream;
    private final DaemonStats stats;
    private final Relays relays;
    private final List<ByteBuf> early = new ArrayList<>();
    private Phase phase = Phase.GREETING;
    private ScheduledFuture<?> timeout;
    private String client = "?";
    private CompletableFuture<Endpoint> dialing;
    private boolean inputShut;

    public SocksHandler(Settings settings, Upstream upstream, DaemonStats stats, Relays relays) {
        this.settings = settings;
        this.upstream = upstream;
        this.stats = stats;
        this.relays = relays;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        client = String.valueOf(ctx.channel().remoteAddress());
        stats.inc("socks_clients_total");
        timeout = ctx.executor().schedule(() -> {
            if (phase == Phase.GREETING || phase == Phase.AUTH || phase == Phase.REQUEST) {
                reject(ctx, "handshake_timeout", "no complete request within "
                        + settings.handshakeTimeoutMillis() + " ms (phase " + phase + ")");
            }
        }, settings.handshakeTimeoutMillis(), TimeUnit.MILLISECONDS);
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof Socks5InitialRequest r && phase == Phase.GREETING) {
                greeting(ctx, r);
            } else if (msg instanceof Socks5PasswordAuthRequest r && phase == Phase.AUTH) {
                auth(ctx, r);
            } else if (msg instanceof Socks5CommandRequest r && phase == Phase.REQUEST) {
                request(ctx, r);
            } else if (msg instanceof ByteBuf b && (phase == Phase.CONNECTING || phase == Phase.RELAYING)) {
                early.add(b.retain()); // data sent ahead of our reply, held for the bridge
            } else if (phase != Phase.DONE) {
                reject(ctx, "unexpected_message", "unexpected " + msg.getClass().getSimpleName() + " in phase " + phase);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void greeting(ChannelHandlerContext ctx, Socks5InitialRequest r) {
        if (failed(ctx, r.decoderResult())) {
            return;
        }
        Socks5AuthMethod want = settings.authRequired() ? Socks5AuthMethod.PASSWORD : Socks5AuthMethod.NO_AUTH;
        if (!r.authMethods().contains(want)) {
            ctx.writeAndFlush(new DefaultSocks5InitialResponse(Socks5AuthMethod.UNACCEPTED))
                    .addListener(ChannelFutureListener.CLOSE);
            count("no_acceptable_method", "offered " + r.authMethods() + ", need " + want);
            return;
        }
        if (settings.authRequired()) {
            ctx.pipeline().replace("socks-decoder", "socks-decoder", new Socks5PasswordAuthRequestDecoder());
            phase = Phase.AUTH;
        } else {
            ctx.pipeline().replace("socks-decoder", "socks-decoder", new Socks5CommandRequestDecoder());
            phase = Phase.REQUEST;
        }
        ctx.writeAndFlush(new DefaultSocks5InitialResponse(want));
    }

    private void auth(ChannelHandlerContext ctx, Socks5PasswordAuthRequest r) {
        if (failed(ctx, r.decoderResult())) {
            return;
        }
        boolean ok = same(r.username(), settings.username()) & same(r.password(), settings.password());
        if (!ok) {
            ctx.writeAndFlush(new DefaultSocks5PasswordAuthResponse(Socks5PasswordAuthStatus.FAILURE))
                    .addListener(ChannelFutureListener.CLOSE);
            count("auth_failed", "wrong username or password for user '" + printable(r.username()) + "'");
            return;
        }
        ctx.pipeline().replace("socks-decoder", "socks-decoder", new Socks5CommandRequestDecoder());
        phase = Phase.REQUEST;
        ctx.writeAndFlush(new DefaultSocks5PasswordAuthResponse(Socks5PasswordAuthStatus.SUCCESS));
    }

    private static boolean same(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    private void request(ChannelHandlerContext ctx, Socks5CommandRequest r) {
        DecoderResult dr = r.decoderResult();
        if (dr.isFailure()) {
            String m = String.valueOf(dr.cause().getMessage());
            if (m.contains("address type")) {
                fail(ctx, Socks5CommandStatus.ADDRESS_UNSUPPORTED, "address_type_unsupported", m);
            } else if (m.contains("version")) {
                failed(ctx, dr);
            } else if (dr.cause().getCause() instanceof IllegalArgumentException) {
                // the codec's IDN check refused the name (e.g. a label over 63 characters)
                fail(ctx, Socks5CommandStatus.HOST_UNREACHABLE, "bad_domain", m);
            } else {
                fail(ctx, Socks5CommandStatus.FAILURE, "malformed", m);
            }
            return;
        }
        if (!r.type().equals(Socks5CommandType.CONNECT)) {
            fail(ctx, Socks5CommandStatus.COMMAND_UNSUPPORTED, "command_unsupported",
                    "command " + r.type() + " (only CONNECT is supported)");
            return;
        }
        String host = r.dstAddr();
        if (r.dstAddrType().equals(Socks5AddressType.DOMAIN)) {
            String why = badDomain(host);
            if (why != null) {
                fail(ctx, Socks5CommandStatus.HOST_UNREACHABLE, "bad_domain", why);
                return;
            }
        }
        if (r.dstPort() == 0) {
            fail(ctx, Socks5CommandStatus.FAILURE, "bad_port", "destination port 0");
            return;
        }
        phase = Phase.CONNECTING;
        ctx.channel().config().setAutoRead(false); // hold the client's data until we are connected
        ctx.pipeline().remove("socks-decoder"); // bytes it buffered beyond the request come to us
        String target = (host.contains(":") ? "[" + host + "]" : host) + ":" + r.dstPort();
        CompletableFuture<Endpoint> f;
        try {
            f = upstream.connect(host, r.dstPort());
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(new UpstreamException(UpstreamException.Reason.GENERAL, e.toString()));
        }
        dialing = f;
        f.whenComplete((ep, err) -> ctx.executor().execute(() -> connected(ctx, target, ep, err)));
    }

    private void connected(ChannelHandlerContext ctx, String target, Endpoint ep, Throwable err) {
        if (err != null) {
            Throwable c = err instanceof java.util.concurrent.CompletionException && err.getCause() != null
                    ? err.getCause() : err;
            UpstreamException.Reason reason = c instanceof UpstreamException u ? u.reason() : UpstreamException.Reason.GENERAL;
            stats.inc("socks_connect_failed_total");
            if (phase == Phase.CONNECTING) {
                phase = Phase.DONE;
                cancelTimeout();
                reply(ctx, reason.status()).addListener(ChannelFutureListener.CLOSE);
                LOG.info("socks {}: CONNECT {} failed: {} (reply {})", client, target, c.getMessage(), reason.status());
            }
            releaseEarly();
            return;
        }
        if (phase != Phase.CONNECTING || !ctx.channel().isActive()) {
            ep.abort(); // the client left while we were dialing
            releaseEarly();
            return;
        }
        phase = Phase.RELAYING;
        cancelTimeout();
        stats.inc("socks_connected_total");
        String bnd = ep.localHost();
        Socks5AddressType t = NetUtil.isValidIpV6Address(bnd) ? Socks5AddressType.IPv6 : Socks5AddressType.IPv4;
        ctx.writeAndFlush(new DefaultSocks5CommandResponse(Socks5CommandStatus.SUCCESS, t, bnd, ep.localPort()));
        ctx.pipeline().remove("socks-encoder");
        ctx.pipeline().remove(this);
        Bridge b = new Bridge(ctx.channel(), ep, stats, "socks " + client + " -> " + target, relays::remove);
        relays.add(b);
        List<ByteBuf> held = new ArrayList<>(early);
        early.clear();
        b.start(held, inputShut);
    }

    /** Why a domain name cannot be looked up, or null if it looks like one. */
    static String badDomain(String host) {
        if (host.isEmpty()) {
            return "empty domain name";
        }
        if (host.length() > MAX_DOMAIN) {
            return "domain name of " + host.length() + " characters (at most " + MAX_DOMAIN + ")";
        }
        for (String label : host.split("\\.", -1)) {
            if (label.length() > MAX_LABEL) {
                return "domain label of " + label.length() + " characters (at most " + MAX_LABEL + ")";
            }
        }
        for (int i = 0; i < host.length(); i++) {
            char ch = host.charAt(i);
            if (ch <= ' ' || ch >= 0x7f) {
                return "control or non-ASCII byte in the domain name";
            }
        }
        return null;
    }

    /** Rejects a bad message the codec flagged: a clean close (no reply is defined for these). */
    private boolean failed(ChannelHandlerContext ctx, DecoderResult dr) {
        if (!dr.isFailure()) {
            return false;
        }
        String m = String.valueOf(dr.cause().getMessage());
        String reason = m.contains("version") ? "bad_version" : "malformed";
        reject(ctx, reason, m);
        return true;
    }

    /** Replies with {@code status} to a request, then closes. */
    private void fail(ChannelHandlerContext ctx, Socks5CommandStatus status, String reason, String detail) {
        reply(ctx, status).addListener(ChannelFutureListener.CLOSE);
        count(reason, detail + " -> reply " + status);
    }

    private io.netty.channel.ChannelFuture reply(ChannelHandlerContext ctx, Socks5CommandStatus status) {
        return ctx.writeAndFlush(new DefaultSocks5CommandResponse(status, Socks5AddressType.IPv4, "0.0.0.0", 0));
    }

    private void reject(ChannelHandlerContext ctx, String reason, String detail) {
        count(reason, detail);
        ctx.close();
    }

    private void count(String reason, String detail) {
        if (phase == Phase.DONE) {
            return;
        }
        phase = Phase.DONE;
        cancelTimeout();
        stats.reject(reason);
        LOG.info("socks {}: rejected ({}): {}", client, reason, detail);
    }

    private void cancelTimeout() {
        if (timeout != null) {
            timeout.cancel(false);
        }
    }

    private void releaseEarly() {
        early.forEach(ByteBuf::release);
        early.clear();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof io.netty.channel.socket.ChannelInputShutdownEvent) {
            if (phase == Phase.GREETING || phase == Phase.AUTH || phase == Phase.REQUEST) {
                reject(ctx, "truncated", "the client ended its output in phase " + phase);
            } else if (phase == Phase.CONNECTING) {
                inputShut = true; // sent its request (and data) and half-closed: legitimate
            }
            ReferenceCountUtil.release(evt);
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (phase == Phase.GREETING || phase == Phase.AUTH || phase == Phase.REQUEST) {
            count("truncated", "the client closed in phase " + phase);
        } else if (phase == Phase.CONNECTING) {
            LOG.info("socks {}: the client left while connecting", client);
            phase = Phase.DONE;
            cancelTimeout();
            CompletableFuture<Endpoint> d = dialing;
            if (d != null) {
                d.thenAccept(Endpoint::abort);
            }
        }
        releaseEarly();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (phase == Phase.DONE || phase == Phase.RELAYING) {
            LOG.debug("socks {}: {}", client, cause.toString());
            ctx.close();
            return;
        }
        reject(ctx, "error", cause.toString());
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && i < 64; i++) {
            char c = s.charAt(i);
            b.append(c >= ' ' && c < 0x7f ? c : '?');
        }
        return b.toString();
    }
}
