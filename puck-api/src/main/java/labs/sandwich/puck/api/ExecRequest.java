package labs.sandwich.puck.api;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A command to run in a sprite: an argument vector, never a shell string. To use a shell,
 * say so: {@code ExecRequest.of("sh", "-c", script)}.
 *
 * @param argv    the program and its arguments; at least one element
 * @param env     extra environment variables
 * @param workdir the working directory, or {@code null} for the image's default
 * @param user    the user to run as, or {@code null} for the image's default (root)
 * @param stdin   bytes to feed to standard input, then end-of-file; empty for none
 * @param timeout how long the command may run before it is killed and
 *                {@link OperationTimeoutException} is thrown
 */
public record ExecRequest(
        List<String> argv, Map<String, String> env, @Nullable String workdir, @Nullable String user, byte[] stdin,
        Duration timeout) {
    /** The timeout of a request that does not set one. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(10);
    private static final byte[] NONE = new byte[0];

    /** Validates and copies every component. */
    public ExecRequest {
        argv = requireArgv(argv);
        Map<String, String> copy = new LinkedHashMap<>();
        env.forEach((k, v) -> copy.put(Names.requireEnvName(k), Names.requireText("env." + k, v)));
        env = java.util.Collections.unmodifiableMap(copy);
        if (workdir != null && (!workdir.startsWith("/") || workdir.indexOf('\0') >= 0)) {
            throw new InvalidSpecException("workdir", "Invalid working directory '" + Names.printable(workdir) + "'.",
                    "Use an absolute path, e.g. \"/root\".");
        }
        if (user != null && !user.matches("[a-z_][a-z0-9_-]{0,31}|[0-9]{1,10}(:[0-9]{1,10})?")) {
            throw new InvalidSpecException("user", "Invalid user '" + Names.printable(user) + "'.",
                    "Use a user name such as \"root\" or a numeric uid[:gid].");
        }
        stdin = stdin == null ? NONE : stdin.clone();
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new InvalidSpecException("timeout", "Invalid exec timeout " + timeout + ".", "Use a positive duration, e.g. Duration.ofSeconds(30).");
        }
    }

    /**
     * @param argv the program and its arguments
     * @return a request with no extra environment, the default directory, user and timeout
     * @throws InvalidSpecException if {@code argv} is empty or holds a NUL
     */
    public static ExecRequest of(String... argv) {
        return new ExecRequest(List.of(argv), Map.of(), null, null, NONE, DEFAULT_TIMEOUT);
    }

    /**
     * @param argv the program and its arguments
     * @return a request as {@link #of(String...)}
     */
    public static ExecRequest of(List<String> argv) {
        return new ExecRequest(argv, Map.of(), null, null, NONE, DEFAULT_TIMEOUT);
    }

    /** @return a copy of the standard input bytes */
    @Override
    public byte[] stdin() {
        return stdin.clone();
    }

    /**
     * @param key   variable name
     * @param value its value
     * @return a copy with that variable added
     */
    public ExecRequest withEnv(String key, String value) {
        Map<String, String> e = new LinkedHashMap<>(env);
        e.put(key, value);
        return new ExecRequest(argv, e, workdir, user, stdin, timeout);
    }

    /**
     * @param dir an absolute path
     * @return a copy running in that directory
     */
    public ExecRequest withWorkdir(String dir) {
        return new ExecRequest(argv, env, dir, user, stdin, timeout);
    }

    /**
     * @param user a user name or uid[:gid]
     * @return a copy running as that user
     */
    public ExecRequest withUser(String user) {
        return new ExecRequest(argv, env, workdir, user, stdin, timeout);
    }

    /**
     * @param input bytes for standard input
     * @return a copy that feeds them
     */
    public ExecRequest withStdin(byte[] input) {
        return new ExecRequest(argv, env, workdir, user, input, timeout);
    }

    /**
     * @param input text for standard input, sent as UTF-8
     * @return a copy that feeds it
     */
    public ExecRequest withStdin(String input) {
        return withStdin(input.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * @param timeout how long the command may run
     * @return a copy with that timeout
     */
    public ExecRequest withTimeout(Duration timeout) {
        return new ExecRequest(argv, env, workdir, user, stdin, timeout);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ExecRequest r && argv.equals(r.argv) && env.equals(r.env) && java.util.Objects.equals(workdir, r.workdir)
                && java.util.Objects.equals(user, r.user) && java.util.Arrays.equals(stdin, r.stdin) && timeout.equals(r.timeout);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(argv, env, workdir, user, java.util.Arrays.hashCode(stdin), timeout);
    }

    @Override
    public String toString() {
        return "ExecRequest" + argv + (stdin.length == 0 ? "" : " <" + stdin.length + " bytes") + " timeout=" + timeout;
    }

    static List<String> requireArgv(List<String> argv) {
        if (argv == null || argv.isEmpty() || argv.get(0) == null || argv.get(0).isBlank()) {
            throw new InvalidSpecException("argv", "A command needs at least a program name.",
                    "Pass the program and its arguments, e.g. exec(\"ls\", \"-l\", \"/\").");
        }
        for (String a : argv) {
            Names.requireText("argv", a);
        }
        return List.copyOf(argv);
    }
}
