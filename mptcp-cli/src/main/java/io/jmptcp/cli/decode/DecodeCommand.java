package io.jmptcp.cli.decode;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code jmptcp decode [--json] CAPTURE}: every TCP segment of a capture with its options. */
@Command(name = "decode", mixinStandardHelpOptions = true,
        description = {
            "Prints every TCP segment of a pcap or pcapng capture (Ethernet, raw IP, Linux cooked "
                    + "SLL/SLL2) with its decoded TCP and MPTCP options, one line per segment.",
            "",
            "Plain lines read: FRAME SRC:PORT > DST:PORT [FLAGS] seq= ack= win= len= <options>.",
            "",
            "With --json, one JSON object per segment per line, with the keys frame (1-based packet "
                    + "number), src, sport, dst, dport, flags (letters from FSRPAUEC), seq, ack, "
                    + "len (payload bytes), options (names), mptcp (a list of objects).",
            "Option names: " + OptionFields.NAMES_HELP + ".",
            "Each mptcp object has subtype (MP_CAPABLE, MP_JOIN, DSS, ADD_ADDR, REMOVE_ADDR, "
                    + "MP_PRIO, MP_FAIL, MP_FASTCLOSE, MP_TCPRST, UNKNOWN, MALFORMED) and those of "
                    + "version, flags, sender_key, receiver_key, data_len, checksum, token, nonce, "
                    + "hmac, address_id, backup, data_ack, data_ack_len, dsn, dsn_len, ssn, "
                    + "data_fin, address, port, echo, ids, reason, error that its form carries. "
                    + "DSS always has data_fin; data_ack(_len) only with a DATA_ACK; dsn, dsn_len, "
                    + "ssn, data_len only with a mapping. UNKNOWN and MALFORMED carry error.",
            "Integers are unsigned decimal numbers (exact to 64 bits; 32-bit DATA_ACK/DSN as on "
                    + "the wire, not expanded); hmac is lowercase hex.",
            "",
            "Frames without a TCP segment are skipped and counted on stderr. Exit status: 0, or 1 "
                    + "when the file cannot be read, is not a capture, or is cut short."
        })
public final class DecodeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--json", description = "One JSON object per TCP segment per line.")
    boolean json;

    @Parameters(paramLabel = "CAPTURE", description = "A pcap or pcapng file.")
    Path capture;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        CaptureDecoder.Summary summary;
        try {
            summary = CaptureDecoder.decode(capture, s -> out.println(json
                    ? SegmentJson.render(s) : SegmentText.render(s)));
        } catch (NoSuchFileException e) {
            err.println("decode: no such file: " + capture);
            return 1;
        } catch (IOException e) {
            err.println("decode: cannot read " + capture + ": " + e.getMessage());
            return 1;
        } finally {
            out.flush();
        }
        if (summary.skippedCount() > 0) {
            StringBuilder sb = new StringBuilder("decode: skipped " + summary.skippedCount()
                    + " of " + summary.frames() + " frames without a TCP segment (");
            String sep = "";
            for (Map.Entry<String, Integer> e : summary.skipped().entrySet()) {
                sb.append(sep).append(e.getValue()).append(' ').append(e.getKey());
                sep = "; ";
            }
            err.println(sb.append(')'));
        }
        if (summary.failure().isPresent()) {
            err.println("decode: " + capture + ": " + summary.failure().get());
            err.flush();
            return 1;
        }
        err.flush();
        return 0;
    }
}
