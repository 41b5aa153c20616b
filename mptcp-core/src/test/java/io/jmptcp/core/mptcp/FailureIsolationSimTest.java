package io.jmptcp.core.mptcp;

import static io.jmptcp.core.sim.MultiPathNet.addr;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.conn.Connection;
import io.jmptcp.core.conn.ConnectionFactory;
import io.jmptcp.core.conn.ConnectionInfo;
import io.jmptcp.core.engine.PlainConnectionFactory;
import io.jmptcp.core.mib.StackMib;
import io.jmptcp.core.sim.Link;
import io.jmptcp.core.sim.MultiPathNet;
import io.jmptcp.core.testutil.FaultyFactory;
import io.jmptcp.core.tcp.TcpConfig;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * One connection whose code throws does not stop the engine: the server's second connection
 * throws on its 20th inbound segment (and, in one case, again when it is aborted). The engine
 * resets it (RST, MP_FASTCLOSE, or a plain RST when the abort throws too), counts it and drops
 * it, while the other connections finish their transfers both ways with the right bytes.
 */
class FailureIsolationSimTest {
    static final int PORT = 5000;
    static final int CONNECTIONS = 3;
    static final int FAULTY = 2; // the second connection the server accepts
    static final int THROW_AT = 20;
    static final long BYTES = 256 << 10;

    @ParameterizedTest(name = "mptcp={0} abortThrows={1}")
    @CsvSource({"false,false", "false,true", "true,false", "true,true"})
    void oneThrowingConnectionIsResetAndTheOthersComplete(boolean mptcp, boolean abortThrows) {
        Supplier<ConnectionFactory> real = mptcp
                ? () -> new MptcpConnectionFactory(new MptcpConfig())
                : () -> new PlainConnectionFactory(new TcpConfig().timeWaitMicros(1_000_000));
        FaultyFactory.Faulty[] faulty = {null};
        ConnectionFactory serverFactory = new FaultyFactory(real.get(), FAULTY, THROW_AT, abortThrows, f -> faulty[0] = f);
        MultiPathNet net = new MultiPathNet(List.of(addr("10.0.1.1")), real.get(), List.of(addr("10.0.9.1")),
                serverFactory, 9);
        net.addPath(addr("10.0.1.1"), addr("10.0.9.1"), link(), link());
        net.server.listen(PORT);

        List<StreamApp> clients = new ArrayList<>();
        List<StreamApp> servers = new ArrayList<>();
        net.client.setApp(now -> pumpAll(clients));
        net.server.setApp(now -> {
            while (servers.size() < net.server.accepted.size()) {
                StreamApp a = new StreamApp(BYTES, 1000 + servers.size());
                a.conn = net.server.accepted.get(servers.size());
                servers.add(a);
            }
            pumpAll(servers);
        });
        for (int i = 0; i < CONNECTIONS; i++) {
            StreamApp a = new StreamApp(BYTES, 1 + i);
            clients.add(a);
            a.conn = net.client.connect(new InetSocketAddress(addr("10.0.9.1"), PORT));
        }

        boolean done = net.sim.runUntil(() -> {
            int finished = 0;
            for (StreamApp c : clients) {
                StreamApp s = peer(c, servers);
                if (c.conn.state() == Connection.State.FAILED
                        || c.eof && s != null && s.eof && c.conn.state() == Connection.State.CLOSED) {
                    finished++;
                }
            }
            return finished == CONNECTIONS;
        }, 120_000_000L);
        String info = "client " + net.client.mib() + "\nserver " + net.server.mib() + " errors="
                + net.server.engine().counter(StackMib.CONNECTION_ERRORS);
        assertTrue(done, "every connection finished or failed: " + info);

        assertNotNull(faulty[0], "the faulty connection was accepted");
        assertEquals(THROW_AT, faulty[0].inputs, "the engine stopped feeding it after it threw");
        assertEquals(abortThrows ? 1 : 0, faulty[0].abortsThrown);
        assertEquals(1, net.server.engine().counter(StackMib.CONNECTION_ERRORS), info);
        assertFalse(net.server.engine().connections().contains(faulty[0]), "dropped from the tables");

        int failed = 0;
        for (StreamApp c : clients) {
            if (c.conn.state() == Connection.State.FAILED) {
                failed++;
                continue;
            }
            StreamApp s = peer(c, servers);
            assertNotNull(s);
            assertEquals(BYTES, s.received, info);
            assertEquals(BYTES, c.received, info);
            assertArrayEquals(c.sentHash(), s.receivedHash(), "client to server SHA-256");
            assertArrayEquals(s.sentHash(), c.receivedHash(), "server to client SHA-256");
        }
        assertEquals(1, failed, "only the faulty connection's peer was reset: " + info);
    }

    static Link.Config link() {
        return new Link.Config().rate(50_000_000L).delay(5_000).queue(500);
    }

    private static void pumpAll(List<StreamApp> apps) {
        for (StreamApp a : apps) {
            if (a.conn != null && a.conn.state() != Connection.State.FAILED) {
                a.pump();
            }
        }
    }

    /** The server end of a client's connection: the one whose remote end is the client's local end. */
    private static StreamApp peer(StreamApp client, List<StreamApp> servers) {
        ConnectionInfo ci = client.conn.info();
        for (StreamApp s : servers) {
            if (s.conn.info().remote().equals(ci.local())) {
                return s;
            }
        }
        return null;
    }
}
