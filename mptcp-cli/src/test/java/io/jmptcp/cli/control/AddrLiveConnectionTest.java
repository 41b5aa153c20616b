package io.jmptcp.cli.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.conn.ConnectionInfo;
import io.jmptcp.core.mptcp.MptcpConfig;
import io.jmptcp.core.mptcp.MptcpConnectionFactory;
import io.jmptcp.core.runtime.MemoryPacketIo;
import io.jmptcp.core.runtime.MptcpServerSocket;
import io.jmptcp.core.runtime.MptcpSocket;
import io.jmptcp.core.runtime.Stack;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The control socket's {@code addr} answers act on a live MPTCP connection between two stacks on
 * an in-memory link: an added {@code subflow} address joins, a backup change reaches the subflow,
 * a removed address takes its subflow with it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AddrLiveConnectionTest {
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

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
            Thread.sleep(5); // polling a condition with a deadline, not a fixed wait
        }
    }

    private static boolean subflowFrom(MptcpSocket s, String address, Boolean backup) {
        for (ConnectionInfo.Subflow f : s.info().subflows()) {
            if (f.local().startsWith(address + ":") && (backup == null || f.backup() == backup)) {
                return true;
            }
        }
        return false;
    }

    @Test
    void anAddedAddressJoinsTheLiveConnectionAndItsRemovalClosesTheSubflow() throws Exception {
        MemoryPacketIo[] link = MemoryPacketIo.pair(1500, 1024);
        InetAddress serverAddr = InetAddress.getByName("10.0.9.1");
        client = new Stack(link[0], new MptcpConnectionFactory(new MptcpConfig()),
                List.of(InetAddress.getByName("10.0.1.1"))).start();
        server = new Stack(link[1], new MptcpConnectionFactory(new MptcpConfig()), List.of(serverAddr)).start();
        AddressControl addresses = StackAddresses.of(client);
        try (MptcpServerSocket listener = new MptcpServerSocket(server, 5000)) {
            MptcpSocket s = new MptcpSocket(client);
            s.connect(new InetSocketAddress(serverAddr, 5000));
            MptcpSocket accepted = listener.accept();
            accepted.getOutputStream().write(42); // a DATA_ACK: the client is fully established
            assertEquals(42, s.getInputStream().read());
            assertEquals(1, s.info().subflows().size());

            String added = ControlServer.answer("addr add 10.0.2.1", () -> null, addresses);
            assertTrue(added.startsWith("{\"result\":\"added\""), added);
            await(() -> subflowFrom(s, "10.0.2.1", false), "a subflow from the added address: " + s.info());

            ControlServer.answer("addr add 10.0.2.1 subflow,backup", () -> null, addresses);
            await(() -> subflowFrom(s, "10.0.2.1", true), "the subflow marked backup: " + s.info());

            String removed = ControlServer.answer("addr del 10.0.2.1", () -> null, addresses);
            assertTrue(removed.startsWith("{\"result\":\"removed\""), removed);
            await(() -> !subflowFrom(s, "10.0.2.1", null), "the subflow of the removed address to go: " + s.info());
            s.getOutputStream().write(7);
            assertEquals(7, accepted.getInputStream().read(), "the connection goes on over the first subflow");
        }
    }
}
