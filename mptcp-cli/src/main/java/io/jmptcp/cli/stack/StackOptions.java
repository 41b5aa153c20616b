package io.jmptcp.cli.stack;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The STACK options of the command-line contract (DESIGN.md section 4), as a picocli mixin shared
 * by every command that runs a stack. Options left out are null, so the factory can tell "not
 * given" from a default and reject what the chosen mode cannot honour.
 */
public final class StackOptions {
    /** Default TUN device name. */
    public static final String DEFAULT_TUN = "mptcp0";

    /** {@code --mptcp on|off}. */
    public enum Mode { on, off }

    @Option(names = "--tun", paramLabel = "NAME", defaultValue = DEFAULT_TUN,
            description = "TUN device, created if absent, brought up; a host route to it is added for "
                    + "every --address (default ${DEFAULT-VALUE})")
    public String tun = DEFAULT_TUN;

    @Option(names = "--address", paramLabel = "IP",
            description = "an address the stack owns (repeatable; IPv4 or IPv6); the first one carries "
                    + "the initial subflow")
    public List<String> addresses = new ArrayList<>();

    @Option(names = "--mtu", paramLabel = "BYTES", defaultValue = "1500", description = "device MTU (default ${DEFAULT-VALUE})")
    public int mtu = 1500;

    @Option(names = "--mptcp", paramLabel = "on|off", defaultValue = "on",
            description = "MPTCP (on, the default) or plain TCP (off)")
    public Mode mptcp = Mode.on;

    @Option(names = "--checksum", description = "request DSS checksums (MPTCP)")
    public boolean checksum;

    @Option(names = "--scheduler", paramLabel = "NAME",
            description = "minrtt (default: the fastest subflow with room) | roundrobin | redundant (every byte on"
                    + " every subflow, for latency) | blest (holds data off a slow subflow that would block the"
                    + " connection window) | ecf (waits for the fast subflow when that finishes sooner) (MPTCP)")
    public String scheduler;

    @Option(names = "--cc", paramLabel = "NAME",
            description = "lia (default with MPTCP) | olia | balia | cubic (default for plain TCP) | reno")
    public String cc;

    @Option(names = "--max-subflows", paramLabel = "N",
            description = "most subflows per connection, the initial one included (default 3: Linux's subflows limit 2, plus one; MPTCP)")
    public Integer maxSubflows;

    @Option(names = "--max-connections", paramLabel = "N", defaultValue = "10000",
            description = "most connections the stack holds; SYNs for more are refused with a RST and counted "
                    + "(connection_limit_refused) once no half-open one can make room (default ${DEFAULT-VALUE})")
    public int maxConnections = 10000;

    @Option(names = "--max-remote-addresses", paramLabel = "N",
            description = "peer addresses (ADD_ADDR) remembered per connection; more are dropped and counted "
                    + "(mptcp_addaddrdrop) (default 8; MPTCP)")
    public Integer maxRemoteAddresses;

    @Option(names = "--max-ofo", paramLabel = "BYTES",
            description = "connection-level out-of-order data held per connection; more is dropped and counted "
                    + "(mptcp_ofodrop) (default: the receive buffer, 4 MiB; MPTCP)")
    public Integer maxOutOfOrder;

    @Option(names = "--receive-buffer", paramLabel = "BYTES|INITIAL:MAX",
            description = "the connection-level receive buffer, which bounds the window the peer may fill: a fixed "
                    + "size, or INITIAL:MAX to auto-tune it from INITIAL towards twice the bytes read per largest "
                    + "subflow RTT, at most MAX (default " + ConnectionFactories.DEFAULT_RECEIVE_BUFFER + ", tuned, as "
                    + "Linux's tcp_moderate_rcvbuf; MPTCP)")
    public String receiveBuffer;

    @Option(names = "--send-buffer", paramLabel = "BYTES",
            description = "the most a connection holds of what the application wrote and the peer has not "
                    + "acknowledged; writes wait beyond it (default 4194304)")
    public Integer sendBuffer;

    @Option(names = "--endpoint", paramLabel = "IP=FLAGS",
            description = "a stack address with path-manager flags, as ip mptcp endpoint: a comma list of signal, subflow, "
                    + "backup, fullmesh (repeatable; the address is owned like an --address, which is subflow by default)")
    public List<String> endpoints = new ArrayList<>();

    @Option(names = "--add-addr-accepted", paramLabel = "N",
            description = "peer ADD_ADDRs joined per connection (default 0, as Linux's add_addr_accepted; MPTCP)")
    public Integer addAddrAccepted;

    @Option(names = "--add-addr-timeout", paramLabel = "MS",
            description = "ADD_ADDR retransmission interval until echoed (default 120000, as Linux's add_addr_timeout; MPTCP)")
    public Long addAddrTimeoutMillis;

    @Option(names = "--close-timeout", paramLabel = "S",
            description = "how long a connection with no working subflow waits for a path to come back "
                    + "(default 60, as Linux's close_timeout; 0 fails it at once; MPTCP)")
    public Integer closeTimeoutSeconds;

    @Option(names = "--tcp-retries", paramLabel = "N",
            description = "retransmission timeouts of a subflow (or plain connection) before it gives up "
                    + "(default 15, as Linux's tcp_retries2)")
    public Integer tcpRetries;

    @Option(names = "--rto-max", paramLabel = "MS",
            description = "the longest retransmission timeout after back-off (default 120000, as Linux's TCP_RTO_MAX)")
    public Long rtoMaxMillis;

    @Option(names = "--keepalive", paramLabel = "IDLE,INTVL,CNT",
            description = "TCP keepalive on every subflow and plain connection: seconds idle before the first probe, "
                    + "seconds between probes, probes unanswered before it fails (default off, as Linux)")
    public String keepalive;

    @Option(names = "--no-join-initial-addr",
            description = "refuse joins to the initial subflow's address and port and say so with the MP_CAPABLE C flag "
                    + "(Linux net.mptcp.allow_join_initial_addr_port=0; MPTCP)")
    public boolean noJoinInitialAddr;

    @Option(names = "--no-rejoin", description = "do not re-create subflows lost to a reset or a timeout (MPTCP)")
    public boolean noRejoin;

    @Option(names = "--announce", description = "announce the non-initial stack addresses with ADD_ADDR (MPTCP)")
    public boolean announce;

    @Option(names = "--backup", paramLabel = "IP",
            description = "use this stack address only as a backup path: B flag on its joins (repeatable; MPTCP)")
    public List<String> backup = new ArrayList<>();

    @Option(names = "--no-offload",
            description = "one packet per TUN read and write: no virtio header, no TSO super-packets, no "
                    + "checksum offload (default: offloads on)")
    public boolean noOffload;

    @Option(names = "--pcap", paramLabel = "FILE", description = "record every packet the stack sends and receives")
    public Path pcap;
}
