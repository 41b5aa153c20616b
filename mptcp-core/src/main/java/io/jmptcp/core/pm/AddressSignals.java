package io.jmptcp.core.pm;

import io.jmptcp.core.wire.MptcpOption.AddAddr;
import io.jmptcp.core.wire.MptcpOption.RemoveAddr;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Address signalling of one connection (RFC 8684 sections 3.4.1 and 3.4.2; Linux pm.c): our
 * announcements, retransmitted until the peer echoes them (at most {@code retransmits} times, as
 * Linux's ADD_ADDR_RETRANS_MAX), the echoes we owe for the peer's announcements, and our
 * REMOVE_ADDRs. An ADD_ADDR rides a pure ACK of its own, without DSS, as Linux sends them; a
 * REMOVE_ADDR rides a pure ACK next to the DSS.
 */
public final class AddressSignals {
    /** Address ids one REMOVE_ADDR carries at most (it must fit next to a DSS in 40 option bytes). */
    static final int MAX_IDS_PER_REMOVE = 8;

    private static final class Announcement {
        final AddAddr option;
        long due;
        int sent;

        Announcement(AddAddr option, long due) {
            this.option = option;
            this.due = due;
        }
    }

    private final List<Announcement> announcements = new ArrayList<>();
    private final ArrayDeque<AddAddr> echoes = new ArrayDeque<>(1); // rarely used: small (issue 12)
    private final ArrayDeque<Integer> removes = new ArrayDeque<>(1); // rarely used: small (issue 12)
    private final long retransmitMicros;
    private final int retransmits;

    /**
     * @param retransmitMicros the interval between repetitions of an unechoed announcement
     * @param retransmits      how many repetitions at most
     */
    public AddressSignals(long retransmitMicros, int retransmits) {
        this.retransmitMicros = retransmitMicros;
        this.retransmits = retransmits;
    }

    /** Queues a REMOVE_ADDR for a local address id, and stops announcing it. */
    public void withdraw(int addressId) {
        announcements.removeIf(a -> a.option.addressId() == addressId);
        if (!removes.contains(addressId)) {
            removes.add(addressId);
        }
    }

    /** The REMOVE_ADDR the next pure ACK carries, or null (each id is sent once, as Linux does). */
    public RemoveAddr nextRemove() {
        if (removes.isEmpty()) {
            return null;
        }
        List<Integer> ids = new ArrayList<>();
        while (!removes.isEmpty() && ids.size() < MAX_IDS_PER_REMOVE) {
            ids.add(removes.poll());
        }
        return new RemoveAddr(ids);
    }

    /** Queues an announcement (with its HMAC already computed) to go out now. */
    public void announce(AddAddr option, long now) {
        announcements.add(new Announcement(option, now));
    }

    /** Queues the echo of a peer's announcement: same id, address and port, E set, no HMAC. */
    public void echo(AddAddr received) {
        echoes.add(new AddAddr(true, received.addressId(), received.address(), received.port(), 0));
    }

    /** The peer echoed one of ours: stop repeating it. Returns whether it matched. */
    public boolean echoed(AddAddr echo) {
        return announcements.removeIf(a -> a.option.addressId() == echo.addressId()
                && a.option.address().equals(echo.address()));
    }

    /** The option the next pure ACK should carry now, or null. */
    public AddAddr next(long now) {
        AddAddr e = echoes.poll();
        if (e != null) {
            return e;
        }
        for (Announcement a : announcements) {
            if (a.due <= now && a.sent <= retransmits) {
                a.sent++;
                a.due = now + retransmitMicros;
                return a.option;
            }
        }
        return null;
    }

    /** Whether something is due now (the connection then asks a subflow for a pure ACK). */
    public boolean pending(long now) {
        if (!echoes.isEmpty() || !removes.isEmpty()) {
            return true;
        }
        for (Announcement a : announcements) {
            if (a.due <= now && a.sent <= retransmits) {
                return true;
            }
        }
        return false;
    }

    /** The next retransmission time, or Long.MAX_VALUE. */
    public long nextDeadline() {
        long t = Long.MAX_VALUE;
        for (Announcement a : announcements) {
            if (a.sent <= retransmits) {
                t = Math.min(t, a.due);
            }
        }
        return t;
    }
}
