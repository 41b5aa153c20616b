package io.jmptcp.core.pm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The default policy's decisions, against a recording connection (no network). */
class DefaultPathManagerTest {
    private static final int PORT = 443;

    static InetAddress ip(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(s, e);
        }
    }

    /** A subflow the fake connection made. */
    static final class Sub implements PmSubflow {
        final InetAddress local;
        final int localId;
        final InetAddress remote;
        final int port;
        final int remoteId;
        boolean backup;
        boolean closed;
        boolean established;
        final boolean active;

        Sub(InetAddress local, int localId, InetAddress remote, int port, int remoteId, boolean backup, boolean active) {
            this.local = local;
            this.localId = localId;
            this.remote = remote;
            this.port = port;
            this.remoteId = remoteId;
            this.backup = backup;
            this.active = active;
        }

        @Override public InetAddress localAddress() { return local; }
        @Override public int localId() { return localId; }
        @Override public InetAddress remoteAddress() { return remote; }
        @Override public int remotePort() { return port; }
        @Override public int remoteId() { return remoteId; }
        @Override public boolean initial() { return localId == 0 && remoteId == 0 && port == PORT; }
        @Override public boolean activeOpen() { return active; }
        @Override public boolean established() { return established && !closed; }
        @Override public boolean closed() { return closed; }
        @Override public boolean localBackup() { return backup; }

        @Override
        public String toString() {
            return local.getHostAddress() + "#" + localId + "->" + remote.getHostAddress() + ":" + port + "#" + remoteId
                    + (backup ? " backup" : "");
        }
    }

    /** Records every action; a client (active) or a server connection to 10.9.0.1:443 from 10.1.0.1. */
    static final class Fake implements PmConnection {
        final boolean active;
        Endpoints endpoints;
        final List<Sub> subs = new ArrayList<>();
        final List<String> log = new ArrayList<>();
        int limit = 3;
        boolean open = true;
        boolean denyC;

        Fake(boolean active, Endpoints endpoints) {
            this.active = active;
            this.endpoints = endpoints;
            Sub initial = new Sub(ip("10.1.0.1"), 0, ip("10.9.0.1"), PORT, 0, false, active);
            initial.established = true;
            subs.add(initial);
        }

        @Override public boolean activeOpen() { return active; }
        @Override public InetAddress remoteAddress() { return ip("10.9.0.1"); }
        @Override public int remotePort() { return PORT; }
        @Override public InetAddress initialLocalAddress() { return ip("10.1.0.1"); }
        @Override public List<Endpoint> endpoints() { return endpoints.list(); }
        @Override public List<? extends PmSubflow> subflows() { return subs.stream().filter(s -> !s.closed).toList(); }
        @Override public int subflowLimit() { return limit; }
        @Override public boolean peerDeniesInitialJoins() { return denyC; }
        @Override public boolean canOpenSubflows() { return open; }

        @Override
        public PmSubflow openSubflow(InetAddress local, int localId, InetAddress remote, int port, int remoteId,
                                     boolean backup) {
            if (!open || subflows().size() >= limit) {
                log.add("refused " + local.getHostAddress() + "->" + remote.getHostAddress());
                return null;
            }
            Sub s = new Sub(local, localId, remote, port, remoteId, backup, true);
            subs.add(s);
            log.add("open " + s);
            return s;
        }

        @Override
        public void closeSubflow(PmSubflow s) {
            ((Sub) s).closed = true;
            log.add("close " + s);
        }

        @Override
        public void announce(Endpoint e) {
            log.add("announce " + e.id() + " " + e.address().getHostAddress());
        }

        @Override
        public void withdraw(int localId) {
            log.add("withdraw " + localId);
        }

        @Override
        public void remoteAddressDropped(InetAddress address) {
            log.add("dropped " + address.getHostAddress());
        }

        @Override
        public void setBackup(PmSubflow s, boolean backup) {
            ((Sub) s).backup = backup;
            log.add("prio " + s);
        }
    }

    private static Endpoints endpoints(String... specs) {
        Endpoints e = Endpoints.of(List.of(ip("10.1.0.1")), 0);
        for (String spec : specs) {
            String[] p = spec.split("=");
            e = e.add(ip(p[0]), Endpoint.parseFlags(p.length > 1 ? p[1] : ""));
        }
        return e;
    }

    @Test
    void theClientJoinsFromSubflowEndpointsAndAnnouncesSignalOnes() {
        Fake c = new Fake(true, endpoints("10.2.0.1=subflow", "10.3.0.1=signal", "10.4.0.1=subflow,backup",
                "fd00::1=subflow"));
        c.limit = 8;
        new DefaultPathManager(new PmConfig()).onEstablished(0, c);
        // No join from an address of the other family; the backup endpoint's join carries B.
        assertEquals(List.of("open 10.2.0.1#2->10.9.0.1:443#0", "announce 3 10.3.0.1",
                "open 10.4.0.1#4->10.9.0.1:443#0 backup"), c.log);
    }

    @Test
    void theServerAnnouncesButDoesNotJoin() {
        Fake c = new Fake(false, endpoints("10.2.0.1=subflow,signal"));
        new DefaultPathManager(new PmConfig()).onEstablished(0, c);
        assertEquals(List.of("announce 2 10.2.0.1"), c.log);
    }

    @Test
    void theSubflowLimitIsTheConnections() {
        Fake c = new Fake(true, endpoints("10.2.0.1=subflow", "10.3.0.1=subflow", "10.4.0.1=subflow"));
        new DefaultPathManager(new PmConfig()).onEstablished(0, c);
        assertEquals(List.of("open 10.2.0.1#2->10.9.0.1:443#0", "open 10.3.0.1#3->10.9.0.1:443#0",
                "refused 10.4.0.1->10.9.0.1"), c.log);
    }

    @Test
    void announcementsAreJoinedOnlyUpToAddAddrAccepted() {
        Fake c = new Fake(true, endpoints());
        c.limit = 8;
        DefaultPathManager pm = new DefaultPathManager(new PmConfig()); // add_addr_accepted 0, as Linux
        pm.onEstablished(0, c);
        pm.onAddAddr(0, c, 5, ip("10.9.0.5"), -1);
        assertEquals(List.of(), c.log);

        Fake d = new Fake(true, endpoints("10.2.0.1=fullmesh"));
        d.limit = 8;
        DefaultPathManager pm2 = new DefaultPathManager(new PmConfig().addAddrAccepted(1));
        pm2.onEstablished(0, d);
        d.log.clear();
        pm2.onAddAddr(0, d, 5, ip("10.9.0.5"), 8443);
        pm2.onAddAddr(0, d, 6, ip("10.9.0.6"), -1); // over the limit: remembered, not joined
        pm2.onAddAddr(0, d, 5, ip("10.9.0.5"), 8443); // a repetition
        // A fullmesh endpoint joins it; the announced port is used.
        assertEquals(List.of("open 10.2.0.1#2->10.9.0.5:8443#5"), d.log);
    }

    @Test
    void announcementsBeyondTheRememberedLimitAreDroppedAndCounted() {
        Fake c = new Fake(true, endpoints());
        c.limit = 8;
        PmConfig cfg = new PmConfig();
        cfg.maxRemoteAddresses = 2;
        DefaultPathManager pm = new DefaultPathManager(cfg);
        pm.onEstablished(0, c);
        c.log.clear();
        for (int id = 1; id <= 5; id++) {
            pm.onAddAddr(0, c, id, ip("10.9.0." + (10 + id)), -1);
        }
        pm.onAddAddr(0, c, 2, ip("10.9.0.99"), -1); // a remembered id may change its address
        assertEquals(List.of("dropped 10.9.0.13", "dropped 10.9.0.14", "dropped 10.9.0.15"), c.log);
    }

    @Test
    void anAnnouncementBeforeFullEstablishmentIsJoinedOnceEstablished() {
        Fake c = new Fake(true, endpoints());
        c.open = false;
        DefaultPathManager pm = new DefaultPathManager(new PmConfig().addAddrAccepted(1));
        pm.onAddAddr(0, c, 5, ip("10.9.0.5"), -1);
        assertEquals(List.of(), c.log);
        c.open = true;
        pm.onEstablished(0, c);
        // Without fullmesh endpoints the join leaves from the initial subflow's address (id 0).
        assertEquals(List.of("open 10.1.0.1#0->10.9.0.5:443#5"), c.log);
    }

    @Test
    void removeAddrClosesTheSubflowsToItAndTheyAreNotRecreated() {
        Fake c = new Fake(true, endpoints());
        DefaultPathManager pm = new DefaultPathManager(new PmConfig().addAddrAccepted(1));
        pm.onEstablished(0, c);
        pm.onAddAddr(0, c, 5, ip("10.9.0.5"), -1);
        Sub joined = c.subs.get(1);
        pm.onRemoveAddr(10, c, 5);
        assertTrue(joined.closed);
        pm.onSubflowClosed(10, c, joined, CloseReason.REMOVED);
        assertEquals(Long.MAX_VALUE, pm.nextTimer());
        assertEquals("close 10.1.0.1#0->10.9.0.5:443#5", c.log.get(c.log.size() - 1));
    }

    @Test
    void aSubflowLostToAResetIsRecreatedWithBackoff() {
        Fake c = new Fake(true, endpoints("10.2.0.1=subflow"));
        PmConfig cfg = new PmConfig().rejoinMicros(500_000, 4_000_000);
        DefaultPathManager pm = new DefaultPathManager(cfg);
        pm.onEstablished(0, c);
        Sub s = c.subs.get(1);
        long now = 1_000_000;
        List<Long> waits = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            s.closed = true;
            pm.onSubflowClosed(now, c, s, CloseReason.RESET);
            long due = pm.nextTimer();
            waits.add(due - now);
            int before = c.subs.size();
            pm.onTimer(due - 1, c);
            assertEquals(before, c.subs.size(), "not before it is due");
            pm.onTimer(due, c);
            assertEquals(before + 1, c.subs.size(), "re-created when due");
            s = c.subs.get(c.subs.size() - 1);
            assertEquals("10.2.0.1", s.local.getHostAddress());
            now = due + 100_000;
        }
        assertEquals(List.of(500_000L, 1_000_000L, 2_000_000L, 4_000_000L, 4_000_000L, 4_000_000L), waits);
        // Once it works the wait starts over.
        s.established = true;
        pm.onSubflowEstablished(now, c, s);
        s.closed = true;
        pm.onSubflowClosed(now, c, s, CloseReason.TIMEOUT);
        assertEquals(now + 500_000, pm.nextTimer());
    }

    @Test
    void noRecreationForCleanCloseProtocolErrorsPassiveSubflowsOrWhenDisabled() {
        for (CloseReason why : List.of(CloseReason.CLOSED, CloseReason.REMOVED, CloseReason.PROTOCOL_ERROR)) {
            Fake c = new Fake(true, endpoints());
            DefaultPathManager pm = new DefaultPathManager(new PmConfig());
            pm.onSubflowClosed(0, c, c.subs.get(0), why);
            assertEquals(Long.MAX_VALUE, pm.nextTimer(), why.name());
        }
        Fake server = new Fake(false, endpoints());
        DefaultPathManager pm = new DefaultPathManager(new PmConfig());
        pm.onSubflowClosed(0, server, server.subs.get(0), CloseReason.RESET);
        assertEquals(Long.MAX_VALUE, pm.nextTimer(), "the passive side waits for the peer");
        Fake off = new Fake(true, endpoints());
        DefaultPathManager pm2 = new DefaultPathManager(new PmConfig().rejoin(false));
        pm2.onSubflowClosed(0, off, off.subs.get(0), CloseReason.RESET);
        assertEquals(Long.MAX_VALUE, pm2.nextTimer(), "--no-rejoin");
    }

    @Test
    void theInitialSubflowIsRecreatedAsAJoinFromAddressZero() {
        Fake c = new Fake(true, endpoints());
        DefaultPathManager pm = new DefaultPathManager(new PmConfig());
        Sub initial = c.subs.get(0);
        initial.closed = true;
        pm.onSubflowClosed(0, c, initial, CloseReason.TIMEOUT);
        pm.onTimer(pm.nextTimer(), c);
        assertEquals(List.of("open 10.1.0.1#0->10.9.0.1:443#0"), c.log);
    }

    @Test
    void endpointChangesDriveJoinsPrioAndRemoval() {
        Fake c = new Fake(true, endpoints());
        DefaultPathManager pm = new DefaultPathManager(new PmConfig());
        pm.onEstablished(0, c);
        c.endpoints = c.endpoints.add(ip("10.2.0.1"), Endpoint.SUBFLOW | Endpoint.SIGNAL);
        Endpoint added = c.endpoints.find(ip("10.2.0.1"));
        pm.onEndpointChanged(0, c, null, added);
        assertEquals(List.of("announce 2 10.2.0.1", "open 10.2.0.1#2->10.9.0.1:443#0"), c.log);
        c.log.clear();
        Endpoint backup = added.withFlags(added.flags() | Endpoint.BACKUP);
        pm.onEndpointChanged(0, c, added, backup);
        assertEquals(List.of("prio 10.2.0.1#2->10.9.0.1:443#0 backup"), c.log);
        c.log.clear();
        c.endpoints = c.endpoints.remove(ip("10.2.0.1"));
        pm.onEndpointRemoved(0, c, backup);
        assertEquals(List.of("close 10.2.0.1#2->10.9.0.1:443#0 backup", "withdraw 2"), c.log);
        // A subflow of a removed address is not re-created.
        pm.onSubflowClosed(0, c, c.subs.get(1), CloseReason.RESET);
        assertEquals(Long.MAX_VALUE, pm.nextTimer());
    }

    @Test
    void thePeersCFlagKeepsSubflowsOffItsInitialAddressButNotOffAnnouncedOnes() {
        Fake c = new Fake(true, endpoints("10.2.0.1=subflow"));
        c.denyC = true;
        DefaultPathManager pm = new DefaultPathManager(new PmConfig().addAddrAccepted(1));
        pm.onEstablished(0, c);
        assertEquals(List.of(), c.log, "no join to 10.9.0.1:443");
        pm.onAddAddr(0, c, 5, ip("10.9.0.5"), -1);
        assertEquals(List.of("open 10.1.0.1#0->10.9.0.5:443#5"), c.log);
        // Nor is the lost initial subflow re-created as a join to that address.
        Sub initial = c.subs.get(0);
        initial.closed = true;
        pm.onSubflowClosed(0, c, initial, CloseReason.RESET);
        pm.onTimer(10_000_000, c);
        assertEquals(1, c.log.size(), c.log::toString);
    }

    @Test
    void aSubflowRefusedByPolicyIsAskedForAgainOnlyAtTheLongestInterval() {
        Fake c = new Fake(true, endpoints("10.2.0.1=subflow"));
        DefaultPathManager pm = new DefaultPathManager(new PmConfig().rejoinMicros(500_000, 4_000_000));
        pm.onEstablished(0, c);
        Sub s = c.subs.get(1);
        s.closed = true;
        pm.onSubflowClosed(1_000_000, c, s, CloseReason.REFUSED);
        assertEquals(5_000_000, pm.nextTimer());
    }

    @Test
    void endpointFlagsParseLikeIpMptcp() {
        assertEquals(Endpoint.SIGNAL | Endpoint.BACKUP, Endpoint.parseFlags("signal,backup"));
        assertEquals("subflow,fullmesh", Endpoint.flagNames(Endpoint.parseFlags(" fullmesh , subflow")));
        assertEquals(0, Endpoint.parseFlags(""));
        assertThrows(IllegalArgumentException.class, () -> Endpoint.parseFlags("signal,bogus"));
        assertThrows(IllegalArgumentException.class, () -> new Endpoint(ip("10.0.0.1"), 1, Endpoint.SIGNAL | Endpoint.FULLMESH));
        assertThrows(IllegalArgumentException.class, () -> new Endpoint(ip("10.0.0.1"), 0, 0));
    }

    @Test
    void endpointIdsAreNotReused() {
        Endpoints e = endpoints("10.2.0.1", "10.3.0.1");
        assertEquals(3, e.find(ip("10.3.0.1")).id());
        e = e.remove(ip("10.3.0.1")).add(ip("10.4.0.1"), 0);
        assertEquals(4, e.find(ip("10.4.0.1")).id());
        // Changing flags keeps the id.
        assertEquals(2, e.add(ip("10.2.0.1"), Endpoint.BACKUP).find(ip("10.2.0.1")).id());
        assertFalse(e.addresses().contains(ip("10.3.0.1")));
    }
}
