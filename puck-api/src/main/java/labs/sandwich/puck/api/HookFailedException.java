package labs.sandwich.puck.api;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A sprite's sleep hook failed. A failed pre-sleep hook ({@link SleepHooks#preSleep()}) means the
 * sprite was not put to sleep: it is still running, with nothing changed. A failed post-wake hook
 * ({@link SleepHooks#postWake()}) is reported in an event; the sprite is awake. The message
 * carries the hook's exit code and the end of its output.
 */
public final class HookFailedException extends PuckException {
    private static final long serialVersionUID = 1L;
    /** The stable code of this error. */
    public static final String CODE = "PUCK-HOOK-001";

    private final String phase;
    private final List<String> argv;
    private final @Nullable Integer exitCode;

    /**
     * @param sprite   the sprite
     * @param phase    {@code pre-sleep} or {@code post-wake}
     * @param argv     the hook's command
     * @param exitCode its exit code, or {@code null} when it did not finish (timeout, no runtime)
     * @param output   what it said, or why it did not finish
     * @param cause    the underlying failure, or {@code null}
     */
    public HookFailedException(String sprite, String phase, List<String> argv, @Nullable Integer exitCode, String output, @Nullable Throwable cause) {
        super(CODE, "The " + phase + " hook " + argv + " of sprite '" + sprite + "' "
                        + (exitCode == null ? "did not finish" : "exited with " + exitCode)
                        + (output.isBlank() ? "" : ": " + abbreviate(output))
                        + (phase.equals("pre-sleep") ? "; the sprite was not put to sleep." : "; the sprite is awake."),
                "Fix the hook (run it with sprite.exec(...) to see its output), raise SleepHooks.timeout(), or remove it from the spec.",
                sprite, cause);
        this.phase = phase;
        this.argv = List.copyOf(argv);
        this.exitCode = exitCode;
    }

    /** @return {@code pre-sleep} or {@code post-wake} */
    public String phase() {
        return phase;
    }

    /** @return the hook's command */
    public List<String> argv() {
        return argv;
    }

    /** @return its exit code, or {@code null} if it did not finish */
    public @Nullable Integer exitCode() {
        return exitCode;
    }

    private static String abbreviate(String s) {
        String t = s.strip();
        return t.length() <= 300 ? t : "…" + t.substring(t.length() - 300);
    }
}
