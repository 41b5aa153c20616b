package io.jmptcp.core.pm;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The stack's endpoints, in the order they were added (the first address carries outgoing
 * connections). Ids are given out in increasing order and not reused while the stack runs, so a
 * REMOVE_ADDR for a deleted address can never name a new one (Linux pm_netlink.c next_id).
 * Immutable: every change returns a new table, so readers on other threads see a consistent one.
 */
public final class Endpoints {
    private final List<Endpoint> list;
    private final int nextId;

    private Endpoints(List<Endpoint> list, int nextId) {
        this.list = List.copyOf(list);
        this.nextId = nextId;
    }

    /** The first address with no flags (it carries the initial subflow); the others {@code otherFlags}. */
    public static Endpoints of(List<InetAddress> addresses, int otherFlags) {
        Endpoints e = new Endpoints(List.of(), 1);
        for (int i = 0; i < addresses.size(); i++) {
            e = e.add(addresses.get(i), i == 0 ? 0 : otherFlags);
        }
        return e;
    }

    public List<Endpoint> list() {
        return list;
    }

    public List<InetAddress> addresses() {
        return list.stream().map(Endpoint::address).toList();
    }

    /** The endpoint of this address, or null. */
    public Endpoint find(InetAddress a) {
        for (Endpoint e : list) {
            if (e.address().equals(a)) {
                return e;
            }
        }
        return null;
    }

    /**
     * Adds an address, or changes the flags of one already present (keeping its id).
     *
     * @throws IllegalStateException when the 255 ids are used up
     */
    public Endpoints add(InetAddress a, int flags) {
        List<Endpoint> l = new ArrayList<>(list);
        Endpoint old = find(a);
        if (old != null) {
            l.set(l.indexOf(old), old.withFlags(flags));
            return new Endpoints(l, nextId);
        }
        if (nextId > 255) {
            throw new IllegalStateException("no endpoint id left (255 were given out)");
        }
        l.add(new Endpoint(a, nextId, flags));
        return new Endpoints(l, nextId + 1);
    }

    /** Removes an address (no change if absent). */
    public Endpoints remove(InetAddress a) {
        List<Endpoint> l = new ArrayList<>(list);
        l.removeIf(e -> e.address().equals(a));
        return new Endpoints(l, nextId);
    }
}
