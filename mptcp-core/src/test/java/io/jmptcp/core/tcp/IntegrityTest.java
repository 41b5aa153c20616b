package io.jmptcp.core.tcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.sim.BulkApp;
import io.jmptcp.core.sim.Link;
import io.jmptcp.core.sim.TcpPair;
import org.junit.jupiter.api.Test;

/**
 * 32 MiB each way through the simulator under the conditions of issue 3, checked with SHA-256.
 */
class IntegrityTest {
    static final long SIZE = 32L << 20;

    static TcpPair.Result transfer(String name, TcpConfig cfg, Link.Config ab, Link.Config ba, long seed,
                                   long limitMicros, BulkApp serverApp, TcpPair[] out) {
        TcpPair p = new TcpPair(cfg, cfg, ab, ba, seed);
        BulkApp c = new BulkApp(SIZE, seed * 2 + 11);
        BulkApp s = serverApp != null ? serverApp : new BulkApp(SIZE, seed * 2 + 12);
        TcpPair.Result r = p.run(c, s, limitMicros);
        if (out != null) {
            out[0] = p;
        }
        String info = name + ": " + r + " client=" + p.client.connection() + " server=" + p.server.connection()
                + "\n  clientMib=" + p.clientMib + "\n  serverMib=" + p.serverMib
                + "\n  c.recv=" + c.received() + " s.recv=" + s.received();
        System.out.println(info);
        assertTrue(r.completed(), "transfer did not complete: " + info);
        assertEquals(SIZE, s.received(), info);
        assertEquals(SIZE, c.received(), info);
        assertArrayEquals(c.sentDigest(), s.receivedDigest(), "client->server SHA-256 differs");
        assertArrayEquals(s.sentDigest(), c.receivedDigest(), "server->client SHA-256 differs");
        return r;
    }

    static Link.Config link() {
        return new Link.Config().rate(100_000_000L).delay(10_000).queue(1000);
    }

    static TcpConfig cfg() {
        return new TcpConfig().timeWaitMicros(1_000_000);
    }

    @Test
    void cleanLink() {
        transfer("clean", cfg(), link(), link(), 1, 600_000_000L, null, null);
    }
}
