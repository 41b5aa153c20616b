package io.jmptcp.core.pm;

import io.jmptcp.core.wire.MptcpOption.AddAddr;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * ADD_ADDR signalling of one connection (RFC 8684 section 3.4.1; Linux pm.c): our announcements,
 * retransmitted until the peer echoes them (at most {@link #MAX_RETRANSMITS} times, as Linux's
 * ADD_ADDR_RETRANS_MAX), and the echoes we owe for the peer's announcements. Each option rides a
 * pure ACK of its own, without DSS, as Linux sends them.
 */
public final class AddressSignals {
    /** Linux ADD_ADDR_RETRANS_MAX. */
    public static final int MAX_RETRANSMITS = 3;

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
    private final ArrayDeque<AddAddr> echoes = new ArrayDeque<>();
    private final long retransmitMicros;

    /** @param retransmitMicros the interval between repetitions of an unechoed announcement */
    public AddressSignals(long retransmitMicros) {
        this.retransmitMicros = retransmitMicros;
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
            if (a.due <= now && a.sent <= MAX_RETRANSMITS) {
                a.sent++;
                a.due = now + retransmitMicros;
                return a.option;
            }
        }
        return null;
    }

    /** Whether something is due now (the connection then asks a subflow for a pure ACK). */
    public boolean pending(long now) {
        if (!echoes.isEmpty()) {
            return true;
        }
        for (Announcement a : announcements) {
            if (a.due <= now && a.sent <= MAX_RETRANSMITS) {
                return true;
            }
        }
        return false;
    }

    /** The next retransmission time, or Long.MAX_VALUE. */
    public long nextDeadline() {
        long t = Long.MAX_VALUE;
        for (Announcement a : announcements) {
            if (a.sent <= MAX_RETRANSMITS) {
                t = Math.min(t, a.due);
            }
        }
        return t;
    }
}
