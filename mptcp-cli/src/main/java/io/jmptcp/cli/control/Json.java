package io.jmptcp.cli.control;

/** A small JSON writer: enough for status output, no dependency. */
public final class Json {
    private final StringBuilder b = new StringBuilder();
    private boolean needComma;

    public Json beginObject() {
        comma();
        b.append('{');
        needComma = false;
        return this;
    }

    public Json endObject() {
        b.append('}');
        needComma = true;
        return this;
    }

    public Json beginArray() {
        comma();
        b.append('[');
        needComma = false;
        return this;
    }

    public Json endArray() {
        b.append(']');
        needComma = true;
        return this;
    }

    /** A key inside an object; the value follows. */
    public Json key(String k) {
        comma();
        string(k);
        b.append(':');
        needComma = false;
        return this;
    }

    public Json value(String s) {
        comma();
        if (s == null) {
            b.append("null");
        } else {
            string(s);
        }
        needComma = true;
        return this;
    }

    public Json value(long n) {
        comma();
        b.append(n);
        needComma = true;
        return this;
    }

    public Json value(boolean v) {
        comma();
        b.append(v);
        needComma = true;
        return this;
    }

    public Json field(String k, String v) {
        return key(k).value(v);
    }

    public Json field(String k, long v) {
        return key(k).value(v);
    }

    public Json field(String k, boolean v) {
        return key(k).value(v);
    }

    private void comma() {
        if (needComma) {
            b.append(',');
            needComma = false;
        }
    }

    private void string(String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }

    @Override
    public String toString() {
        return b.toString();
    }
}
