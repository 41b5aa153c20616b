package io.jmptcp.core.cc;

/**
 * Creates the controller of one subflow. Uncoupled algorithms use a shared stateless factory; a
 * coupled algorithm uses one factory instance per MPTCP connection, so that it can see all of that
 * connection's subflows (RFC 6356 section 3).
 */
@FunctionalInterface
public interface CongestionControlFactory {
    /**
     * @param mss             segment size in bytes
     * @param initialSegments initial window in segments (RFC 6928)
     */
    CongestionControl create(int mss, int initialSegments);

    /**
     * The uncoupled controller with this name ({@code cubic} or {@code reno}).
     *
     * @throws IllegalArgumentException for any other name
     */
    static CongestionControlFactory byName(String name) {
        return switch (name) {
            case "cubic" -> Cubic.FACTORY;
            case "reno" -> Reno.FACTORY;
            default -> throw new IllegalArgumentException("congestion control '" + name
                    + "' is not available (cubic, reno)");
        };
    }
}
