package io.jmptcp.core.mptcp;

import static io.jmptcp.core.sim.MultiPathNet.addr;

import io.jmptcp.core.conn.Connection;
import io.jmptcp.core.sim.Link;
import io.jmptcp.core.sim.MultiPathNet;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/** A client and a server stack with MPTCP factories on a multi-path simulated network. */
final class MptcpSim {
    static final int PORT = 5000;
    final MultiPathNet net;
    final MptcpConnectionFactory clientFactory;
    final MptcpConnectionFactory serverFactory;
    final StreamApp clientApp;
    final StreamApp serverApp;
    MptcpConnection clientConn;

    MptcpSim(List<String> clientAddrs, List<String> serverAddrs, MptcpConfig clientCfg, MptcpConfig serverCfg,
             long clientBytes, long serverBytes, long seed) {
        clientFactory = new MptcpConnectionFactory(clientCfg);
        serverFactory = new MptcpConnectionFactory(serverCfg);
        net = new MultiPathNet(addrs(clientAddrs), clientFactory, addrs(serverAddrs), serverFactory, seed);
        clientApp = new StreamApp(clientBytes, seed * 3 + 1);
        serverApp = new StreamApp(serverBytes, seed * 3 + 2);
        net.client.setApp(now -> clientApp.pump());
        net.server.setApp(now -> {
            if (serverApp.conn == null && !net.server.accepted.isEmpty()) {
                serverApp.conn = net.server.accepted.get(0);
            }
            serverApp.pump();
        });
        net.server.listen(PORT);
    }

    static List<InetAddress> addrs(List<String> s) {
        List<InetAddress> l = new ArrayList<>();
        for (String x : s) {
            l.add(addr(x));
        }
        return l;
    }

    MultiPathNet.Path path(String c, String s, long rateBps, long delayMicros) {
        Link.Config cfg = new Link.Config().rate(rateBps).delay(delayMicros).queue(200);
        Link.Config cfg2 = new Link.Config().rate(rateBps).delay(delayMicros).queue(200);
        return net.addPath(addr(c), addr(s), cfg, cfg2);
    }

    void connect(String serverAddr) {
        clientConn = (MptcpConnection) net.client.connect(new InetSocketAddress(addr(serverAddr), PORT));
        clientApp.conn = clientConn;
    }

    MptcpConnection serverConn() {
        return (MptcpConnection) serverApp.conn;
    }

    boolean run(java.util.function.BooleanSupplier done, long limitMicros) {
        return net.sim.runUntil(done, limitMicros);
    }

    /** Both ends sent everything, read everything to EOF, and the connection closed both ways. */
    boolean transferDone() {
        return clientApp.eof && serverApp.eof && serverApp.conn != null
                && clientConn.state() == Connection.State.CLOSED && serverApp.conn.state() == Connection.State.CLOSED;
    }
}
