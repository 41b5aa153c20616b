package io.jmptcp.core.mptcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.conn.ConnectionInfo;
import io.jmptcp.core.conn.ConnectionOptions;
import io.jmptcp.core.runtime.MemoryPacketIo;
import io.jmptcp.core.runtime.MptcpServerSocket;
import io.jmptcp.core.runtime.MptcpSocket;
import io.jmptcp.core.engine.PlainConnectionFactory;
import io.jmptcp.core.runtime.Stack;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Per-connection settings through the socket API, on two real stacks joined by an in-memory link. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConnectionOptionsStackTest {
    private Stack client;
    private Stack server;

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private static InetAddress addr(String s) throws IOException {
        return InetAddress.getByName(s);
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
            Thread.sleep(5); // polling a condition with a deadline, not a fixed wait
        }
    }

    @Test
    void optionsOverrideTheStackDefaultsForOneConnection() throws Exception {
        MemoryPacketIo[] link = MemoryPacketIo.pair(1500, 1024);
        InetAddress serverAddr = addr("10.0.9.1");
        client = new Stack(link[0], new MptcpConnectionFactory(new MptcpConfig()),
                List.of(addr("10.0.1.1"), addr("10.0.2.1"))).start();
        server = new Stack(link[1], new MptcpConnectionFactory(new MptcpConfig()), List.of(serverAddr)).start();
        try (MptcpServerSocket listener = new MptcpServerSocket(server, 5000)) {
            MptcpSocket limited = new MptcpSocket(client);
            limited.connect(new InetSocketAddress(serverAddr, 5000), 10_000,
                    new ConnectionOptions("roundrobin", "reno", 1, true));
            MptcpSocket defaults = new MptcpSocket(client);
            defaults.connect(new InetSocketAddress(serverAddr, 5000));
            // A byte from the server carries a DATA_ACK: the clients become fully established,
            // which is when a client opens further subflows (RFC 8684 section 3.1).
            for (int i = 0; i < 2; i++) {
                MptcpSocket accepted = listener.accept();
                accepted.getOutputStream().write(42);
            }
            assertEquals(42, limited.getInputStream().read());
            assertEquals(42, defaults.getInputStream().read());
            // The default connection joins from the client's second address...
            await(() -> defaults.info().subflows().size() == 2, "the join of the default connection");
            ConnectionInfo d = defaults.info();
            assertEquals("minrtt", d.scheduler());
            assertEquals("lia", d.cc()); // MPTCP connections default to coupled LIA (RFC 6356)
            // ...the limited one, opened first, stays at one subflow and uses its own policies.
            ConnectionInfo l = limited.info();
            assertEquals(1, l.subflows().size(), l.toString());
            assertEquals("roundrobin", l.scheduler());
            assertEquals("reno", l.cc());
            assertTrue(l.mptcp(), "MPTCP was negotiated, with the checksum the options asked for");
        }
    }

    @Test
    void settingsAConnectionCannotHonourAreRefused() throws Exception {
        MemoryPacketIo[] link = MemoryPacketIo.pair(1500, 64);
        InetAddress serverAddr = addr("10.0.9.1");
        client = new Stack(link[0], new MptcpConnectionFactory(new MptcpConfig()), List.of(addr("10.0.1.1"))).start();
        MptcpSocket s = new MptcpSocket(client);
        ConnectException e = assertThrows(ConnectException.class, () -> s.connect(
                new InetSocketAddress(serverAddr, 5000), 1000, new ConnectionOptions("fastest", null, null, null)));
        assertTrue(e.getMessage().contains("scheduler 'fastest' is not available"), e.getMessage());
        client.close();
        // Plain TCP takes a congestion control, not the MPTCP settings.
        link = MemoryPacketIo.pair(1500, 64);
        client = new Stack(link[0], new PlainConnectionFactory(), List.of(addr("10.0.1.1"))).start();
        MptcpSocket p = new MptcpSocket(client);
        ConnectException pe = assertThrows(ConnectException.class, () -> p.connect(
                new InetSocketAddress(serverAddr, 5000), 1000, new ConnectionOptions(null, null, 2, null)));
        assertTrue(pe.getMessage().contains("apply to MPTCP only"), pe.getMessage());
    }
}
