package io.jmptcp.core.conn;

/**
 * Per-connection settings that override the stack's defaults for one active open (each null
 * field keeps the default): the packet scheduler ({@code minrtt}, {@code roundrobin}, {@code redundant}, {@code blest}), the
 * congestion control of its subflows ({@code lia}, {@code olia}, {@code balia} coupled; {@code cubic}, {@code reno} uncoupled), the subflow limit and DSS
 * checksums. What a connection factory cannot honour it refuses with an
 * {@link IllegalArgumentException}: an option is never silently ignored.
 */
public record ConnectionOptions(String scheduler, String congestionControl, Integer maxSubflows,
                                Boolean checksum) {
    /** No overrides. */
    public static final ConnectionOptions DEFAULTS = new ConnectionOptions(null, null, null, null);

    public ConnectionOptions {
        if (maxSubflows != null && maxSubflows < 1) {
            throw new IllegalArgumentException("maxSubflows must be at least 1, got " + maxSubflows);
        }
    }

    public boolean isDefault() {
        return equals(DEFAULTS);
    }
}
