package io.jmptcp.core.cc;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The base of the coupled groups (LIA, OLIA, BALIA): the members, slow start, recovery and the
 * bookkeeping every algorithm reads (window, smoothed RTT, bytes between losses). A subclass
 * supplies the congestion-avoidance increase and the ssthresh after a loss. Arithmetic is in
 * doubles on byte windows and microsecond RTTs; every formula is dimensionless or per byte, so no
 * unit conversion (and no integer truncation) enters.
 */
public abstract class CoupledGroup implements CongestionControlGroup {
    private final List<CoupledController> members = new ArrayList<>();

    @Override
    public final CongestionControl create(int mss, int initialSegments) {
        CoupledController c = new CoupledController(this, mss, initialSegments);
        members.add(c);
        return c;
    }

    @Override
    public final boolean coupled() {
        return true;
    }

    @Override
    public final void unregister(CongestionControl member) {
        members.remove(member);
    }

    @Override
    public final void release() {
        members.clear();
    }

    @Override
    public final int size() {
        return members.size();
    }

    /** The registered members, in registration order. */
    final List<CoupledController> members() {
        return Collections.unmodifiableList(members);
    }

    /** Members with an RTT estimate: only they enter the RTT-weighted sums. */
    final List<CoupledController> measured() {
        List<CoupledController> l = new ArrayList<>(members.size());
        for (CoupledController m : members) {
            if (m.rtt() > 0) {
                l.add(m);
            }
        }
        return l;
    }

    /**
     * Bytes to add to {@code c}'s window for {@code ackedBytes} newly acknowledged in congestion
     * avoidance (may be negative for OLIA). {@code c} has an RTT estimate.
     */
    abstract double increase(CoupledController c, long ackedBytes);

    /** The slow-start threshold after a loss on {@code c} with {@code flight} bytes in flight. */
    long ssthreshAfterLoss(CoupledController c, long flight) {
        // As Reno, RFC 5681 (4): max(FlightSize / 2, 2*SMSS).
        return Math.max(flight / 2, 2L * c.mss());
    }
}
