/**
 * Congestion control behind one interface, {@link io.jmptcp.core.cc.CongestionControl}:
 * {@link io.jmptcp.core.cc.Reno} (RFC 5681) and {@link io.jmptcp.core.cc.Cubic} (RFC 9438), both
 * with HyStart++ (RFC 9406), and the coupled algorithms for MPTCP: {@link io.jmptcp.core.cc.Lia}
 * (RFC 6356), {@link io.jmptcp.core.cc.Olia} and {@link io.jmptcp.core.cc.Balia}. Each MPTCP
 * connection gets one {@link io.jmptcp.core.cc.CongestionControlGroup}, the factory of its
 * subflows' controllers, which sees every controller it created until the subflow unregisters.
 */
package io.jmptcp.core.cc;
