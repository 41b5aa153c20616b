package io.jmptcp.core.robust;

import static io.jmptcp.core.sim.MultiPathNet.addr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.conn.Connection;
import io.jmptcp.core.mptcp.MptcpConfig;
import io.jmptcp.core.mptcp.MptcpConnectionFactory;
import io.jmptcp.core.sim.Link;
import io.jmptcp.core.sim.MultiPathNet;
import java.lang.ref.WeakReference;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A connection the engine has forgotten must be garbage: nothing of the engine may still reach it.
 * The engine's timers once did: every rescheduling left a timer behind in the queue, each holding
 * the connection until its time came, the last one the close timeout (60 s) armed by the
 * application's close. A client opening thousands of short connections a second then held every
 * one of the last minute, send buffer included (scripts/bench.sh rate: the heap after GC grew by
 * 17 KB per connection, and the copying collector's pauses took an eighth of the run).
 */
class ForgottenConnectionSimTest {
    static final InetAddress C = addr("10.0.1.1");
    static final InetAddress S = addr("10.0.9.1");
    static final int PORT = 80;
    static final int CONNECTIONS = 20;
    static final byte[] REQUEST = new byte[64];

    @Test
    void shortConnectionsAreUnreachableOnceForgotten() {
        MptcpConfig clientCfg = new MptcpConfig();
        clientCfg.tcp.keepalive(10_000_000L, 1_000_000L, 3); // the held connection's timer: 10 s
        MultiPathNet net = new MultiPathNet(List.of(C), new MptcpConnectionFactory(clientCfg), List.of(S),
                new MptcpConnectionFactory(new MptcpConfig()), 3);
        net.addPath(C, S, link(), link());
        net.server.listen(PORT);
        byte[] buf = new byte[4096];
        // The server reads the request, answers and closes first (as the rate benchmark's does).
        List<Connection> answered = new ArrayList<>();
        net.server.setApp(now -> {
            for (Connection s : net.server.accepted) {
                if (!answered.contains(s) && s.readable() >= REQUEST.length) {
                    s.read(buf, 0, buf.length);
                    s.write(REQUEST, 0, REQUEST.length);
                    s.close();
                    answered.add(s);
                }
            }
        });
        // The client: request, the answer to the end of stream, close.
        List<Connection> open = new ArrayList<>();
        Set<Connection> sent = Collections.newSetFromMap(new IdentityHashMap<>());
        List<WeakReference<Connection>> gone = new ArrayList<>();
        int[] done = {0};
        net.client.setApp(now -> {
            for (int i = open.size() - 1; i >= 0; i--) {
                Connection c = open.get(i);
                if (c.state() == Connection.State.ESTABLISHED && !sent.contains(c)
                        && c.write(REQUEST, 0, REQUEST.length) > 0) {
                    sent.add(c);
                    continue;
                }
                if (c.state() != Connection.State.CONNECTING && c.read(buf, 0, buf.length) < 0) {
                    c.close();
                    open.remove(i);
                    sent.remove(c);
                    done[0]++;
                }
            }
        });
        // One connection stays open, idle, its keepalive timer due before the others' close timeouts:
        // the timer queue is never empty (as while other connections are in flight).
        Connection held = net.client.connect(new InetSocketAddress(S, PORT));
        for (int i = 0; i < CONNECTIONS; i++) {
            Connection c = net.client.connect(new InetSocketAddress(S, PORT));
            open.add(c);
            gone.add(new WeakReference<>(c));
        }
        assertTrue(net.sim.runUntil(() -> done[0] == CONNECTIONS && net.client.liveConnections() == 1, 5_000_000L),
                () -> "done " + done[0] + ", client holds " + net.client.liveConnections() + ": " + net.client.mib());
        answered.clear();
        net.server.accepted.clear();
        for (int round = 0; round < 20 && reachable(gone) > 0; round++) {
            System.gc(); // a condition loop: until the references are cleared, at most 20 collections
        }
        assertEquals(0, reachable(gone), "connections the client's engine forgot are still reachable");
        assertNull(gone.get(0).get());
        assertEquals(Connection.State.ESTABLISHED, held.state());
    }

    static Link.Config link() {
        return new Link.Config().rate(100_000_000L).delay(1_000).queue(500);
    }

    private static int reachable(List<WeakReference<Connection>> refs) {
        int n = 0;
        for (WeakReference<Connection> r : refs) {
            if (r.get() != null) {
                n++;
            }
        }
        return n;
    }
}
