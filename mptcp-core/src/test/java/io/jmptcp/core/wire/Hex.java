package io.jmptcp.core.wire;

import java.util.HexFormat;

/** Hex helpers for the wire tests: spaces, newlines and '|' in the input are ignored. */
final class Hex {
    private Hex() {
    }

    static byte[] bytes(String hex) {
        return HexFormat.of().parseHex(hex.replaceAll("[\\s|]", ""));
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }
}
