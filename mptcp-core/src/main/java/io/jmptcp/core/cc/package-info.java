/**
 * Congestion control behind one interface, {@link io.jmptcp.core.cc.CongestionControl}:
 * {@link io.jmptcp.core.cc.Reno} (RFC 5681) and {@link io.jmptcp.core.cc.Cubic} (RFC 9438), both
 * with HyStart++ (RFC 9406). Coupled algorithms (RFC 6356 and successors) plug in through a
 * {@link io.jmptcp.core.cc.CongestionControlFactory} instance per MPTCP connection, which sees every
 * subflow's controller it created.
 */
package io.jmptcp.core.cc;
