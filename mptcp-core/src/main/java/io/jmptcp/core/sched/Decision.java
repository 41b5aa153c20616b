package io.jmptcp.core.sched;

import java.util.Arrays;

/**
 * A scheduler's answer: the subflows (indexes into {@link SchedConnection#subflows()}) that each
 * carry the same next {@code bytes} bytes, or {@link #WAIT}: send nothing now. More than one
 * subflow means the bytes go out redundantly on each.
 */
public record Decision(int[] subflows, long bytes) {
    /** Nothing is sent now; the connection asks again on its next event (an ACK, new data, a timer). */
    public static final Decision WAIT = new Decision(new int[0], 0);

    public Decision {
        if (bytes < 0 || bytes > 0 && subflows.length == 0) {
            throw new IllegalArgumentException("decision of " + bytes + " bytes on " + subflows.length + " subflows");
        }
    }

    /** {@code bytes} bytes on subflow {@code index}, or {@link #WAIT} if either is not positive. */
    public static Decision on(int index, long bytes) {
        return index < 0 || bytes <= 0 ? WAIT : new Decision(new int[] {index}, bytes);
    }

    public boolean isWait() {
        return bytes == 0;
    }

    /** The first (for a single-subflow decision, the only) subflow, or -1 for {@link #WAIT}. */
    public int first() {
        return subflows.length == 0 ? -1 : subflows[0];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Decision d && d.bytes == bytes && Arrays.equals(d.subflows, subflows);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(bytes) * 31 + Arrays.hashCode(subflows);
    }

    @Override
    public String toString() {
        return isWait() ? "wait" : bytes + " bytes on " + Arrays.toString(subflows);
    }
}
