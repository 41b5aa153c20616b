package io.jmptcp.cli.socks;

import io.netty.handler.codec.socksx.v5.Socks5CommandStatus;

/** Why an upstream connection failed, with the RFC 1928 section 6 reply it maps to. */
public final class UpstreamException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Failure classes and their SOCKS5 reply codes. */
    public enum Reason {
        /** The peer answered with a RST: X'05'. */
        REFUSED(Socks5CommandStatus.CONNECTION_REFUSED),
        /** No route to the host, or the name does not resolve: X'04'. */
        HOST_UNREACHABLE(Socks5CommandStatus.HOST_UNREACHABLE),
        /** The stack has no address of the destination's family: X'03'. */
        NETWORK_UNREACHABLE(Socks5CommandStatus.NETWORK_UNREACHABLE),
        /** No answer in time: X'06' (TTL expired, the customary code for a timeout). */
        TIMEOUT(Socks5CommandStatus.TTL_EXPIRED),
        /** Anything else: X'01'. */
        GENERAL(Socks5CommandStatus.FAILURE);

        final Socks5CommandStatus status;

        Reason(Socks5CommandStatus status) {
            this.status = status;
        }

        public Socks5CommandStatus status() {
            return status;
        }
    }

    private final Reason reason;

    public UpstreamException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
