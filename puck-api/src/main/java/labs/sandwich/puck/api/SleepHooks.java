package labs.sandwich.puck.api;

import java.time.Duration;
import java.util.List;

/**
 * Commands run inside a sprite around its memory going to disk (hibernate and archive, not
 * pause, which keeps memory and connections). A pre-sleep command might flush a database; a
 * post-wake one re-sync a clock or renew a DHCP lease. Each runs as an argv, never through a
 * shell unless the argv says so, and does not count as activity.
 *
 * <p>A pre-sleep command that fails (non-zero exit or timeout) cancels the sleep: an explicit
 * {@code hibernate()} throws {@link HookFailedException}, the idle monitor records why and tries
 * again after another idle period. A post-wake command that fails is reported as an event and
 * by {@code why()}; the sprite stays awake.
 *
 * @param preSleep argv run before hibernating; empty for none
 * @param postWake argv run after waking from disk; empty for none
 * @param timeout  limit for each command; positive
 */
public record SleepHooks(List<String> preSleep, List<String> postWake, Duration timeout) {
    private static final Duration MAX_TIMEOUT = Duration.ofHours(1);
    /** No hooks. */
    public static final SleepHooks NONE = new SleepHooks(List.of(), List.of(), Duration.ofSeconds(30));

    /** Validates the commands and the timeout. */
    public SleepHooks {
        preSleep = argv("hooks.preSleep", preSleep);
        postWake = argv("hooks.postWake", postWake);
        if (timeout == null || !timeout.isPositive() || timeout.compareTo(MAX_TIMEOUT) > 0) {
            throw new InvalidSpecException("hooks.timeout", "Invalid hook timeout " + timeout + ".",
                    "Use a positive duration up to one hour, e.g. Duration.ofSeconds(30).");
        }
    }

    /** @param argv the pre-sleep command @return a copy with it */
    public SleepHooks withPreSleep(String... argv) {
        return new SleepHooks(List.of(argv), postWake, timeout);
    }

    /** @param argv the post-wake command @return a copy with it */
    public SleepHooks withPostWake(String... argv) {
        return new SleepHooks(preSleep, List.of(argv), timeout);
    }

    /** @param d the limit for each command @return a copy with it */
    public SleepHooks withTimeout(Duration d) {
        return new SleepHooks(preSleep, postWake, d);
    }

    private static List<String> argv(String field, List<String> argv) {
        if (argv == null) {
            throw new InvalidSpecException(field, "The command is null.", "Use List.of() for none.");
        }
        for (String a : argv) {
            if (a == null || a.indexOf('\0') >= 0) {
                throw new InvalidSpecException(field, "The command has a null or NUL-containing argument.", "Pass plain strings, one per argument.");
            }
        }
        if (!argv.isEmpty() && argv.getFirst().isBlank()) {
            throw new InvalidSpecException(field, "The command's program is blank.", "Start the argv with the program, e.g. List.of(\"sync\").");
        }
        return List.copyOf(argv);
    }
}
