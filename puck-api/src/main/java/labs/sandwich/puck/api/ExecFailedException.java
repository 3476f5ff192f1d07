package labs.sandwich.puck.api;

/**
 * A command run in a sprite exited with a non-zero status and the caller asked for that to
 * be an error ({@link ExecResult#orThrow()}). A non-zero exit is otherwise just a result.
 */
public final class ExecFailedException extends PuckException {
    private static final long serialVersionUID = 1L;
    /** The stable code of this error. */
    public static final String CODE = "PUCK-EXEC-001";

    private final transient ExecResult result;

    /**
     * @param sprite the sprite the command ran in
     * @param argv   the command, for the message
     * @param result what it returned
     */
    public ExecFailedException(String sprite, java.util.List<String> argv, ExecResult result) {
        super(CODE, "Command " + argv + " in sprite '" + sprite + "' exited with " + result.exitCode()
                        + (result.stderr().isBlank() ? "." : ": " + abbreviate(result.stderr())),
                "Read result().stderr() for the details; a non-zero exit is an error only because orThrow() was called.",
                sprite, null);
        this.result = result;
    }

    /** @return the command's result, with its full output */
    public ExecResult result() {
        return result;
    }

    private static String abbreviate(String s) {
        String t = s.strip();
        return t.length() <= 300 ? t : t.substring(0, 300) + "…";
    }
}
