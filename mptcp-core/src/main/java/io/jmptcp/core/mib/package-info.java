/**
 * The stack's counters (after Linux {@code include/uapi/linux/snmp.h} and {@code net/mptcp/mib.h}):
 * one enum per protocol, one line of comment per counter, and {@link io.jmptcp.core.mib.Mib}, which
 * holds them. A leaf: every layer counts into it, it depends on none.
 */
package io.jmptcp.core.mib;
