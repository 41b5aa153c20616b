package io.jmptcp.core.pm;

import java.net.InetAddress;

/** What the path manager knows of one subflow. */
public interface PmSubflow {
    InetAddress localAddress();

    /** The local address id the subflow was opened with (0: the initial subflow's address). */
    int localId();

    InetAddress remoteAddress();

    int remotePort();

    /** The peer's address id for the subflow's remote end (0 for the peer's initial address). */
    int remoteId();

    /** The MP_CAPABLE subflow. */
    boolean initial();

    /** We sent its SYN. */
    boolean activeOpen();

    /** Fully established: it may carry data. */
    boolean established();

    /** Gone (closed or reset). */
    boolean closed();

    /** Our own preference: we asked the peer not to send on it unless nothing else works. */
    boolean localBackup();
}
