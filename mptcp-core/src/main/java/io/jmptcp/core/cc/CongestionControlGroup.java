package io.jmptcp.core.cc;

import java.util.List;

/**
 * The congestion controllers of one MPTCP connection's subflows. The connection creates one group
 * when it is created and hands it to every subflow as that subflow's
 * {@link CongestionControlFactory}: {@link #create} makes the subflow's controller and registers it,
 * {@link #unregister} drops it when the subflow closes, {@link #release} when the connection ends.
 *
 * <p>A coupled group ({@code lia}, {@code olia}, {@code balia}) lets each member read every other
 * member's window, smoothed RTT and loss history in its increase and decrease; an uncoupled group
 * ({@code cubic}, {@code reno}) only keeps the list, each member being the single-path controller.
 */
public interface CongestionControlGroup extends CongestionControlFactory {
    /** The names {@link #forConnection} accepts, coupled ones first. */
    List<String> NAMES = List.of("lia", "olia", "balia", "cubic", "reno");

    /** The algorithm's short name ("lia", "cubic"...), for status. */
    String name();

    /** Whether the members' windows are coupled (RFC 6356 and successors). */
    boolean coupled();

    /** The subflow of this controller closed: it no longer counts in the others' computations. */
    void unregister(CongestionControl member);

    /** The connection is gone: every member is dropped. */
    void release();

    /** Controllers currently registered. */
    int size();

    /**
     * A new group for one connection.
     *
     * @throws IllegalArgumentException for a name not in {@link #NAMES}
     */
    static CongestionControlGroup forConnection(String name) {
        return switch (name) {
            case "lia" -> new Lia();
            case "olia" -> new Olia();
            case "balia" -> new Balia();
            case "cubic" -> new UncoupledGroup("cubic", Cubic.FACTORY);
            case "reno" -> new UncoupledGroup("reno", Reno.FACTORY);
            default -> throw new IllegalArgumentException("congestion control '" + name
                    + "' is not available (" + String.join(", ", NAMES) + ")");
        };
    }
}
