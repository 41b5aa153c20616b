package io.jmptcp.core.tcp;

import io.jmptcp.core.wire.TcpHeader;
import io.jmptcp.core.wire.TcpOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the option lists the engine emits (RFC 9293 3.1: at most 40 bytes, padded to words) and
 * runs the MPTCP option hook within what is left.
 */
final class TcpOptions {
    private TcpOptions() {
    }

    /**
     * SYN and SYN,ACK options in Linux's layout: MSS, SACK-permitted, timestamps, NOP, window scale
     * (20 bytes with everything on; NOPs keep the timestamps word-aligned when SACK is off).
     */
    static List<TcpOption> syn(int mss, boolean sack, boolean ts, int tsVal, int tsEcr, boolean ws, int shift) {
        List<TcpOption> o = new ArrayList<>(8);
        o.add(new TcpOption.Mss(mss));
        if (sack) {
            o.add(new TcpOption.SackPermitted());
        } else if (ts) {
            o.add(new TcpOption.Nop());
            o.add(new TcpOption.Nop());
        }
        if (ts) {
            o.add(new TcpOption.Timestamps(tsVal, tsEcr));
        } else if (sack) {
            o.add(new TcpOption.Nop());
            o.add(new TcpOption.Nop());
        }
        if (ws) {
            o.add(new TcpOption.Nop());
            o.add(new TcpOption.WindowScale(shift));
        }
        return o;
    }

    /** Bytes taken by options {@code from} onwards, padded to a multiple of 4. */
    static int padded(List<TcpOption> o, int from) {
        int n = 0;
        for (int i = from; i < o.size(); i++) {
            n += o.get(i).length();
        }
        return (n + 3) & ~3;
    }

    /**
     * Lets the hook append to {@code o} within {@code budget} bytes; returns the padded bytes it
     * used. A hook that overruns is a programming error of the MPTCP layer, not bad input.
     */
    static int runHook(TcpHooks.OptionWriter w, int flags, long seq, int len, Object tag, int budget,
                       List<TcpOption> o) {
        int from = o.size();
        w.addOptions(flags, seq, len, tag, budget, o);
        int used = padded(o, from);
        if (used > budget) {
            throw new IllegalStateException("option hook used " + used + " bytes, budget " + budget);
        }
        return used;
    }

    /**
     * Inserts NOP, NOP, SACK at {@code at}, with a D-SACK block first (RFC 2883) and then the
     * receiver's blocks most recent first (RFC 2018 section 4), as many as {@code room} allows.
     */
    static void addSack(List<TcpOption> o, int at, int room, ReceiveBuffer rcv, int irs, long[] scratch) {
        int blocks = Math.min(4, (room - 4) / 8);
        if (blocks <= 0) {
            return;
        }
        List<TcpOption.SackBlock> list = new ArrayList<>(blocks);
        if (rcv.hasDsack()) {
            list.add(new TcpOption.SackBlock(irs + (int) rcv.dsackLeft, irs + (int) rcv.dsackRight));
            rcv.clearDsack();
        }
        int n = rcv.sackBlocks(scratch, blocks - list.size());
        for (int i = 0; i < n; i++) {
            list.add(new TcpOption.SackBlock(irs + (int) scratch[2 * i], irs + (int) scratch[2 * i + 1]));
        }
        if (!list.isEmpty()) {
            o.add(at, new TcpOption.Sack(list));
            o.add(at, new TcpOption.Nop());
            o.add(at, new TcpOption.Nop());
        }
    }

    static final int MAX = TcpHeader.MAX_OPTIONS_LENGTH;
}
