package io.jmptcp.cli.socks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.cli.daemon.DaemonStats;
import io.jmptcp.cli.daemon.Endpoint;
import io.jmptcp.cli.daemon.FakeEndpoint;
import io.jmptcp.cli.daemon.Relays;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.socksx.v5.Socks5CommandStatus;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The SOCKS5 handshake on an EmbeddedChannel with a fake upstream: every reply byte checked. */
@org.junit.jupiter.api.extension.ExtendWith(io.jmptcp.cli.daemon.LeakCheck.class)
class SocksHandlerTest {
    static final byte[] GREETING = {5, 1, 0};
    static final byte[] CONNECT_V4 = {5, 1, 0, 1, 10, 2, 1, 1, 0, 80};

    final DaemonStats stats = new DaemonStats();
    final Relays relays = new Relays();
    final FakeUpstream upstream = new FakeUpstream();
    EmbeddedChannel ch;

    EmbeddedChannel channel(SocksHandler.Settings s) {
        ch = new EmbeddedChannel();
        ch.freezeTime(); // the handshake timer runs on virtual time only
        SocksServer.initPipeline(ch.pipeline(), s, upstream, stats, relays);
        ch.pipeline().fireChannelActive();
        return ch;
    }

    EmbeddedChannel open() {
        return channel(new SocksHandler.Settings(null, null, 10_000));
    }

    @AfterEach
    void release() {
        if (ch != null) {
            ch.finishAndReleaseAll();
        }
    }

    void send(byte[] bytes) {
        ch.writeInbound(Unpooled.wrappedBuffer(bytes));
        ch.runPendingTasks();
    }

    void send(int... bytes) {
        byte[] b = new byte[bytes.length];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) bytes[i];
        }
        send(b);
    }

    /** Every byte written to the client so far. */
    byte[] out() {
        ch.runPendingTasks();
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteBuf b;
        while ((b = ch.readOutbound()) != null) {
            o.writeBytes(ByteBufUtil.getBytes(b));
            b.release();
        }
        return o.toByteArray();
    }

    static byte[] cat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            o.writeBytes(p);
        }
        return o.toByteArray();
    }

    static byte[] domainRequest(byte cmd, String name, int port) {
        byte[] n = name.getBytes(StandardCharsets.ISO_8859_1);
        return cat(new byte[] {5, cmd, 0, 3, (byte) n.length}, n, new byte[] {(byte) (port >> 8), (byte) port});
    }

    @Test
    void connectToIpv4RepliesSuccessWithTheBoundAddressAndRelays() {
        open();
        send(GREETING);
        assertArrayEquals(new byte[] {5, 0}, out());
        send(CONNECT_V4);
        assertArrayEquals(new byte[] {5, 0, 0, 1, 10, 3, 1, 1, (byte) (40000 >> 8), (byte) 40000}, out());
        assertEquals("10.2.1.1", upstream.dials.get(0).host());
        assertEquals(80, upstream.dials.get(0).port());
        send("hello".getBytes(StandardCharsets.US_ASCII));
        assertArrayEquals("hello".getBytes(StandardCharsets.US_ASCII), out(), "the fake upstream echoes");
        assertEquals(1, relays.size());
        assertEquals(1, stats.get("socks_connected_total"));
        assertTrue(stats.rejections().isEmpty());
    }

    @Test
    void dataSentWithTheRequestIsRelayedFirst() {
        open();
        send(GREETING);
        out();
        send(cat(CONNECT_V4, "GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
        byte[] got = out();
        assertArrayEquals("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII),
                Arrays.copyOfRange(got, 10, got.length));
    }

    @Test
    void ipv6AndDomainTargetsReachTheUpstreamAsGiven() {
        open();
        send(GREETING);
        out();
        byte[] v6 = new byte[22];
        v6[0] = 5;
        v6[1] = 1;
        v6[3] = 4;
        v6[4] = 0x20;
        v6[5] = 0x01;
        v6[6] = 0x0d;
        v6[7] = (byte) 0xb8;
        v6[19] = 1;
        v6[20] = 0x1f;
        v6[21] = (byte) 0x90;
        send(v6);
        assertEquals(5, out()[0]);
        assertEquals("2001:db8::1", upstream.dials.get(0).host());
        assertEquals(8080, upstream.dials.get(0).port());

        ch.finishAndReleaseAll();
        open();
        send(GREETING);
        out();
        send(domainRequest((byte) 1, "example.org", 443));
        assertEquals(0, out()[1]);
        assertEquals("example.org", upstream.dials.get(1).host());
        assertEquals(443, upstream.dials.get(1).port());
    }

    @Test
    void wrongVersionIsClosedAndCounted() {
        open();
        send(4, 1, 0, 80, 10, 2, 1, 1, 0);
        assertFalse(ch.isActive(), "closed");
        assertEquals(1, stats.rejected("bad_version"));
        assertTrue(upstream.dials.isEmpty());
    }

    @Test
    void wrongVersionInTheRequestIsClosedAndCounted() {
        open();
        send(GREETING);
        out();
        send(4, 1, 0, 1, 10, 2, 1, 1, 0, 80);
        assertFalse(ch.isActive());
        assertEquals(1, stats.rejected("bad_version"));
    }

    @Test
    void truncatedRequestThenCloseIsCounted() {
        open();
        send(GREETING);
        out();
        send(5, 1, 0, 1, 10, 2); // the address is cut short
        assertTrue(ch.isActive(), "waits for the rest");
        ch.close();
        assertEquals(1, stats.rejected("truncated"));
        assertTrue(upstream.dials.isEmpty());
    }

    @Test
    void bindAndUdpAssociateGetCommandNotSupported() {
        for (byte cmd : new byte[] {2, 3}) {
            open();
            send(GREETING);
            out();
            send(5, cmd, 0, 1, 10, 2, 1, 1, 0, 80);
            byte[] r = out();
            assertEquals(5, r[0]);
            assertEquals(Socks5CommandStatus.COMMAND_UNSUPPORTED.byteValue(), r[1]);
            assertFalse(ch.isActive());
            ch.finishAndReleaseAll();
        }
        assertEquals(2, stats.rejected("command_unsupported"));
        assertTrue(upstream.dials.isEmpty());
    }

    @Test
    void unknownCommandByteGetsCommandNotSupported() {
        open();
        send(GREETING);
        out();
        send(5, 9, 0, 1, 10, 2, 1, 1, 0, 80);
        byte[] r = out();
        assertEquals(Socks5CommandStatus.COMMAND_UNSUPPORTED.byteValue(), r[1]);
        assertEquals(1, stats.rejected("command_unsupported"));
    }

    @Test
    void unknownAddressTypeGetsAddressTypeNotSupported() {
        open();
        send(GREETING);
        out();
        send(5, 1, 0, 7, 10, 2, 1, 1, 0, 80);
        byte[] r = out();
        assertEquals(Socks5CommandStatus.ADDRESS_UNSUPPORTED.byteValue(), r[1]);
        assertFalse(ch.isActive());
        assertEquals(1, stats.rejected("address_type_unsupported"));
    }

    @Test
    void oversizedDomainNameGetsHostUnreachable() {
        open();
        send(GREETING);
        out();
        send(domainRequest((byte) 1, "a".repeat(255), 80));
        byte[] r = out();
        assertEquals(Socks5CommandStatus.HOST_UNREACHABLE.byteValue(), r[1]);
        assertFalse(ch.isActive());
        assertEquals(1, stats.rejected("bad_domain"));
        assertTrue(upstream.dials.isEmpty());
    }

    @Test
    void domainNameOverTheDnsLimitInValidLabelsGetsHostUnreachable() {
        open();
        send(GREETING);
        out();
        send(domainRequest((byte) 1, "ab.".repeat(85), 80)); // 255 characters, labels of 2
        byte[] r = out();
        assertEquals(Socks5CommandStatus.HOST_UNREACHABLE.byteValue(), r[1]);
        assertEquals(1, stats.rejected("bad_domain"));
        assertTrue(upstream.dials.isEmpty());
    }

    @Test
    void domainRules() {
        assertNull(SocksHandler.badDomain("www.example.org"));
        assertNull(SocksHandler.badDomain("a".repeat(63) + ".org"));
        assertTrue(SocksHandler.badDomain("a".repeat(64) + ".org").contains("label"));
        assertTrue(SocksHandler.badDomain("").contains("empty"));
        assertTrue(SocksHandler.badDomain("ex ample.org").contains("control"));
        assertTrue(SocksHandler.badDomain("a.".repeat(127)).contains("at most 253"));
    }

    @Test
    void clientHalfClosingMidHandshakeIsCountedAsTruncated() {
        open();
        send(GREETING);
        out();
        send(5, 1, 0);
        ch.pipeline().fireUserEventTriggered(io.netty.channel.socket.ChannelInputShutdownEvent.INSTANCE);
        assertFalse(ch.isActive());
        assertEquals(1, stats.rejected("truncated"));
    }

    @Test
    void passwordAuthentication() {
        SocksHandler.Settings s = new SocksHandler.Settings("user", "secret", 10_000);
        channel(s);
        send(5, 1, 2);
        assertArrayEquals(new byte[] {5, 2}, out());
        send(cat(new byte[] {1, 4}, "user".getBytes(StandardCharsets.US_ASCII), new byte[] {6},
                "secret".getBytes(StandardCharsets.US_ASCII)));
        assertArrayEquals(new byte[] {1, 0}, out());
        send(CONNECT_V4);
        assertEquals(0, out()[1]);
        ch.finishAndReleaseAll();

        channel(s);
        send(5, 2, 0, 2);
        assertArrayEquals(new byte[] {5, 2}, out());
        send(cat(new byte[] {1, 4}, "user".getBytes(StandardCharsets.US_ASCII), new byte[] {5},
                "wrong".getBytes(StandardCharsets.US_ASCII)));
        assertArrayEquals(new byte[] {1, (byte) 0xff}, out(), "RFC 1929: any non-zero status is a failure");
        assertFalse(ch.isActive());
        assertEquals(1, stats.rejected("auth_failed"));
        assertEquals(1, upstream.dials.size(), "only the authenticated client dialed");
    }

    @Test
    void authRequiredButNotOfferedGetsNoAcceptableMethods() {
        channel(new SocksHandler.Settings("user", "secret", 10_000));
        send(GREETING);
        assertArrayEquals(new byte[] {5, (byte) 0xff}, out());
        assertFalse(ch.isActive());
        assertEquals(1, stats.rejected("no_acceptable_method"));
    }

    @Test
    void clientThatStallsMidHandshakeIsClosedAtTheTimeout() {
        channel(new SocksHandler.Settings(null, null, 200));
        send(GREETING);
        out();
        send(5, 1); // and nothing more
        ch.advanceTimeBy(199, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertTrue(ch.isActive(), "not before the timeout");
        ch.advanceTimeBy(2, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertFalse(ch.isActive());
        assertEquals(1, stats.rejected("handshake_timeout"));
    }

    @ParameterizedTest
    @EnumSource(UpstreamException.Reason.class)
    void connectFailuresMapToTheirReplyCodes(UpstreamException.Reason reason) {
        upstream.answer = (h, p) -> FakeUpstream.failing(reason);
        open();
        send(GREETING);
        out();
        send(CONNECT_V4);
        byte[] r = out();
        assertEquals(10, r.length);
        assertEquals(reason.status().byteValue(), r[1]);
        assertFalse(ch.isActive());
        assertEquals(1, stats.get("socks_connect_failed_total"));
        assertTrue(stats.rejections().isEmpty(), "a failed connect is not a bad client");
    }

    @Test
    void theReplyCodesAreTheRfcs() {
        assertEquals(5, UpstreamException.Reason.REFUSED.status().byteValue());
        assertEquals(4, UpstreamException.Reason.HOST_UNREACHABLE.status().byteValue());
        assertEquals(3, UpstreamException.Reason.NETWORK_UNREACHABLE.status().byteValue());
        assertEquals(6, UpstreamException.Reason.TIMEOUT.status().byteValue());
        assertEquals(1, UpstreamException.Reason.GENERAL.status().byteValue());
    }

    @Test
    void clientLeavingWhileConnectingAbortsTheUpstreamConnection() {
        upstream.answer = null;
        open();
        send(GREETING);
        out();
        send(CONNECT_V4);
        ch.close();
        FakeEndpoint late = new FakeEndpoint(true, 1024);
        upstream.dials.get(0).result().complete(late);
        ch.runPendingTasks();
        assertTrue(late.aborted);
        assertEquals(0, relays.size());
    }

    @Test
    void fullUpstreamStopsReadingTheClientAndResumesWhenItDrains() {
        FakeEndpoint sink = new FakeEndpoint(false, 4);
        upstream.answer = (h, p) -> CompletableFuture.<Endpoint>completedFuture(sink);
        open();
        send(GREETING);
        out();
        send(CONNECT_V4);
        out();
        send(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
        assertArrayEquals(new byte[] {1, 2, 3, 4}, sink.written());
        assertFalse(ch.config().isAutoRead(), "stopped reading the client");
        sink.consume();
        ch.runPendingTasks();
        assertArrayEquals(new byte[] {5, 6, 7, 8}, sink.written());
        sink.consume();
        ch.runPendingTasks();
        assertArrayEquals(new byte[] {9, 10}, sink.written());
        assertTrue(ch.config().isAutoRead(), "reading again once everything went through");
    }

    @Test
    void upstreamEofAndFailureReachTheClient() {
        FakeEndpoint far = new FakeEndpoint(false, 1024);
        upstream.answer = (h, p) -> CompletableFuture.<Endpoint>completedFuture(far);
        open();
        send(GREETING);
        out();
        send(CONNECT_V4);
        out();
        far.offer(new byte[] {42, 43});
        assertArrayEquals(new byte[] {42, 43}, out());
        far.fail("connection reset by peer");
        ch.runPendingTasks();
        assertFalse(ch.isActive(), "a failed upstream closes the client");
        assertEquals(0, relays.size());
        assertEquals(1, stats.get("relays_failed_total"));
    }
}
