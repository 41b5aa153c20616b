package io.jmptcp.core.pm;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The default policy: Linux's in-kernel path manager (pm_netlink.c / pm_kernel.c) with the same
 * endpoint flags and limits, plus what the kernel lacks: a subflow lost to a reset or a timeout is
 * re-created, with exponential backoff, until its path works again (mptcp_net-next #440, #235).
 *
 * <ul>
 *   <li>Fully established: announce every {@code signal} endpoint; the client opens a subflow from
 *       every {@code subflow} endpoint of the peer's family to the peer's address.</li>
 *   <li>ADD_ADDR: remembered (bounded); while fewer than {@code add_addr_accepted} announcements
 *       were acted on, a subflow is opened to it from every {@code fullmesh} endpoint of its
 *       family, or else from the initial subflow's address (the kernel lets routing pick).</li>
 *   <li>REMOVE_ADDR: the address is forgotten and its subflows closed.</li>
 *   <li>Endpoint added: announced and joined from, per its flags; flags changed: MP_PRIO on its
 *       subflows when {@code backup} changed; removed: REMOVE_ADDR and its subflows closed.</li>
 *   <li>A subflow we opened, lost to a reset or a timeout: re-created after 0.5 s, 1 s, 2 s, ...
 *       (up to {@link PmConfig#rejoinMaxMicros}), for as long as the connection lives and both
 *       addresses are still there; the wait starts over once a subflow on that pair works. One the
 *       peer refused by policy is asked again at the longest interval only.</li>
 *   <li>The peer's C flag (RFC 8684 section 3.1): no subflow to its initial address and port.</li>
 * </ul>
 */
public final class DefaultPathManager implements PathManager {
    private static final class Remote {
        final InetAddress address;
        final int port;
        /** Counted against add_addr_accepted and joined. */
        boolean accepted;

        Remote(InetAddress address, int port) {
            this.address = address;
            this.port = port;
        }
    }

    /** One pair of addresses to re-create a subflow on. */
    private static final class Rejoin {
        final InetAddress local;
        final InetAddress remote;
        final int port;
        final int remoteId;
        int attempts;
        long due = Long.MAX_VALUE;

        Rejoin(InetAddress local, InetAddress remote, int port, int remoteId) {
            this.local = local;
            this.remote = remote;
            this.port = port;
            this.remoteId = remoteId;
        }

        boolean is(InetAddress l, InetAddress r, int p) {
            return local.equals(l) && remote.equals(r) && port == p;
        }
    }

    private final PmConfig cfg;
    private final Map<Integer, Remote> remotes = new LinkedHashMap<>();
    private final Set<Integer> announced = new HashSet<>();
    private final List<Rejoin> rejoins = new ArrayList<>();
    private int accepted;

    public DefaultPathManager(PmConfig cfg) {
        this.cfg = cfg;
    }

    @Override
    public void onEstablished(long now, PmConnection c) {
        for (Endpoint e : c.endpoints()) {
            if (e.address().equals(c.initialLocalAddress())) {
                if (e.backup()) {
                    for (PmSubflow s : c.subflows()) {
                        c.setBackup(s, true);
                    }
                }
                continue;
            }
            if (e.signal()) {
                announce(c, e);
            }
            if (c.activeOpen() && (e.subflow() || e.fullmesh())) {
                open(c, e, c.remoteAddress(), c.remotePort(), 0);
            }
        }
        acceptAnnounced(c); // announcements that came before the connection was fully established
    }

    @Override
    public void onSubflowEstablished(long now, PmConnection c, PmSubflow s) {
        rejoins.removeIf(r -> r.is(s.localAddress(), s.remoteAddress(), s.remotePort()));
    }

    @Override
    public void onSubflowClosed(long now, PmConnection c, PmSubflow s, CloseReason why) {
        if (!cfg.rejoin || !s.activeOpen()
                || why != CloseReason.RESET && why != CloseReason.TIMEOUT && why != CloseReason.REFUSED) {
            return;
        }
        if (!localStillThere(c, s.localAddress()) || s.remoteId() != 0 && !remotes.containsKey(s.remoteId())) {
            return;
        }
        Rejoin r = null;
        for (Rejoin x : rejoins) {
            if (x.is(s.localAddress(), s.remoteAddress(), s.remotePort())) {
                r = x;
            }
        }
        if (r == null) {
            r = new Rejoin(s.localAddress(), s.remoteAddress(), s.remotePort(), s.remoteId());
            rejoins.add(r);
        }
        long wait = why == CloseReason.REFUSED ? cfg.rejoinMaxMicros : cfg.rejoinInitialMicros << Math.min(r.attempts, 20);
        r.due = now + Math.min(wait, cfg.rejoinMaxMicros);
        r.attempts++;
    }

    private static boolean localStillThere(PmConnection c, InetAddress a) {
        if (a.equals(c.initialLocalAddress())) {
            for (Endpoint e : c.endpoints()) {
                if (e.address().equals(a)) {
                    return true;
                }
            }
            return false;
        }
        return endpointOf(c, a) != null;
    }

    @Override
    public void onAddAddr(long now, PmConnection c, int remoteId, InetAddress address, int port) {
        int p = port > 0 ? port : c.remotePort();
        Remote old = remotes.get(remoteId);
        if (old == null && remotes.size() >= cfg.maxRemoteAddresses) {
            c.remoteAddressDropped(address);
            return;
        }
        if (old != null && old.address.equals(address) && old.port == p) {
            return; // a repetition
        }
        Remote r = new Remote(address, p);
        r.accepted = old != null && old.accepted; // a changed address keeps its place in the limit
        remotes.put(remoteId, r);
        if (r.accepted) {
            join(c, remoteId, r);
        }
        acceptAnnounced(c);
    }

    /** Acts on remembered announcements while add_addr_accepted allows and subflows may open. */
    private void acceptAnnounced(PmConnection c) {
        for (Map.Entry<Integer, Remote> en : remotes.entrySet()) {
            Remote r = en.getValue();
            if (r.accepted) {
                continue;
            }
            if (accepted >= cfg.addAddrAccepted || !c.canOpenSubflows()) {
                return;
            }
            accepted++;
            r.accepted = true;
            join(c, en.getKey(), r);
        }
    }

    /**
     * Joins an announced address from every {@code fullmesh} endpoint of its family, or else from
     * the initial subflow's address (or the first endpoint of the family when that differs).
     */
    private void join(PmConnection c, int remoteId, Remote r) {
        boolean v4 = r.address instanceof Inet4Address;
        boolean any = false;
        for (Endpoint e : c.endpoints()) {
            if (e.fullmesh() && e.ipv4() == v4) {
                any = true;
                open(c, e, r.address, r.port, remoteId);
            }
        }
        if (any) {
            return;
        }
        InetAddress local = c.initialLocalAddress();
        if ((local instanceof Inet4Address) != v4) {
            local = null;
            for (Endpoint e : c.endpoints()) {
                if (e.ipv4() == v4) {
                    local = e.address();
                    break;
                }
            }
        }
        if (local != null) {
            Endpoint e = endpointOf(c, local);
            int id = local.equals(c.initialLocalAddress()) ? 0 : e.id();
            openFrom(c, local, id, e != null && e.backup(), r.address, r.port, remoteId);
        }
    }

    @Override
    public void onRemoveAddr(long now, PmConnection c, int remoteId) {
        remotes.remove(remoteId);
        rejoins.removeIf(r -> r.remoteId == remoteId);
        for (PmSubflow s : List.copyOf(c.subflows())) {
            if (s.remoteId() == remoteId) {
                c.closeSubflow(s);
            }
        }
    }

    @Override
    public void onEndpointChanged(long now, PmConnection c, Endpoint before, Endpoint after) {
        if (!c.canOpenSubflows()) {
            return;
        }
        boolean initial = after.address().equals(c.initialLocalAddress());
        if (before != null && before.backup() != after.backup()) {
            for (PmSubflow s : c.subflows()) {
                if (s.localAddress().equals(after.address())) {
                    c.setBackup(s, after.backup());
                }
            }
        }
        if (initial) {
            return;
        }
        if (after.signal() && (before == null || !before.signal())) {
            announce(c, after);
        }
        boolean joins = after.subflow() || after.fullmesh();
        boolean joinedBefore = before != null && (before.subflow() || before.fullmesh());
        if (c.activeOpen() && joins && !joinedBefore) {
            open(c, after, c.remoteAddress(), c.remotePort(), 0);
        }
        if (after.fullmesh() && (before == null || !before.fullmesh())) {
            for (Map.Entry<Integer, Remote> r : remotes.entrySet()) {
                open(c, after, r.getValue().address, r.getValue().port, r.getKey());
            }
        }
    }

    @Override
    public void onEndpointRemoved(long now, PmConnection c, Endpoint e) {
        Set<Integer> ids = new HashSet<>();
        if (announced.remove(e.id())) {
            ids.add(e.id());
        }
        for (PmSubflow s : List.copyOf(c.subflows())) {
            if (s.localAddress().equals(e.address())) {
                ids.add(s.localId());
                c.closeSubflow(s);
            }
        }
        for (int id : ids) {
            c.withdraw(id);
        }
        rejoins.removeIf(r -> r.local.equals(e.address()));
    }

    @Override
    public long nextTimer() {
        long t = Long.MAX_VALUE;
        for (Rejoin r : rejoins) {
            t = Math.min(t, r.due);
        }
        return t;
    }

    @Override
    public void onTimer(long now, PmConnection c) {
        for (Iterator<Rejoin> it = rejoins.iterator(); it.hasNext(); ) {
            Rejoin r = it.next();
            if (r.due > now) {
                continue;
            }
            if (!c.canOpenSubflows()) {
                it.remove();
                continue;
            }
            r.due = Long.MAX_VALUE; // waits for the new subflow's outcome
            if (live(c, r.local, r.remote, r.port) || deniedByC(c, r.remote, r.port)) {
                continue;
            }
            boolean initial = r.local.equals(c.initialLocalAddress());
            Endpoint e = endpointOf(c, r.local);
            int id = initial ? 0 : e == null ? -1 : e.id();
            if (id < 0 || c.openSubflow(r.local, id, r.remote, r.port, r.remoteId, e != null && e.backup()) == null) {
                r.due = now + cfg.rejoinMaxMicros; // at the limit: look again later
            }
        }
    }

    private void announce(PmConnection c, Endpoint e) {
        if (announced.add(e.id())) {
            c.announce(e);
        }
    }

    private void open(PmConnection c, Endpoint local, InetAddress remote, int port, int remoteId) {
        openFrom(c, local.address(), local.id(), local.backup(), remote, port, remoteId);
    }

    private static void openFrom(PmConnection c, InetAddress local, int localId, boolean backup, InetAddress remote,
                                 int port, int remoteId) {
        if ((local instanceof Inet4Address) != (remote instanceof Inet4Address) || live(c, local, remote, port)
                || deniedByC(c, remote, port)) {
            return;
        }
        c.openSubflow(local, localId, remote, port, remoteId, backup);
    }

    /** RFC 8684 section 3.1: the peer's C flag rules out its initial address and port. */
    private static boolean deniedByC(PmConnection c, InetAddress remote, int port) {
        return c.peerDeniesInitialJoins() && remote.equals(c.remoteAddress()) && port == c.remotePort();
    }

    private static boolean live(PmConnection c, InetAddress local, InetAddress remote, int port) {
        for (PmSubflow s : c.subflows()) {
            if (s.localAddress().equals(local) && s.remoteAddress().equals(remote) && s.remotePort() == port) {
                return true;
            }
        }
        return false;
    }

    private static Endpoint endpointOf(PmConnection c, InetAddress a) {
        for (Endpoint e : c.endpoints()) {
            if (Objects.equals(e.address(), a)) {
                return e;
            }
        }
        return null;
    }
}
