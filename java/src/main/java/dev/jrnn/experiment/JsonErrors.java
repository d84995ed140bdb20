package dev.jrnn.experiment;

/** Gson's errors, made fit for users (the CLI and the sweep's files); internal. */
public final class JsonErrors {
    private JsonErrors() {}

    /**
     * What a Gson parse error says, without the class names, the advice to parse leniently and the
     * troubleshooting URL that Gson appends: e.g. {@code "unterminated object at line 1 column 57"}.
     */
    public static String problem(Throwable e) {
        Throwable t = e.getCause() != null && e.getMessage() != null && e.getMessage().startsWith(e.getCause().getClass().getName())
                ? e.getCause() : e;
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        int see = m.indexOf("\nSee ");
        if (see >= 0) m = m.substring(0, see);
        m = m.replaceFirst("^[a-z.]+(Exception|Error): ", "")
                .replace("Use JsonReader.setStrictness(Strictness.LENIENT) to accept malformed JSON", "malformed JSON")
                .replaceFirst(" path \\$\\S*$", "")
                .strip();
        if (m.equals("End of input") || m.startsWith("End of input")) m = "unexpected end of input" + m.substring(12);
        return m.isEmpty() ? "invalid JSON" : Character.toLowerCase(m.charAt(0)) + m.substring(1);
    }
}
