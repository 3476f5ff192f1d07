package labs.sandwich.puck.api;

import java.util.List;

/**
 * When a started or woken sprite counts as ready: the call that wakes it returns only then.
 * Checked from inside the sprite, so it works whatever the network set-up.
 */
public sealed interface Readiness {
    /** Ready as soon as the runtime says the sprite runs. */
    Readiness NONE = new None();

    /** Ready when the runtime reports the sprite running. */
    record None() implements Readiness {}

    /**
     * Ready when something accepts TCP connections on a port inside the sprite.
     *
     * @param port the port, 1 to 65535
     */
    record Port(int port) implements Readiness {
        /** Validates the port. */
        public Port {
            SpriteSpec.requirePort("readiness.port", port);
        }
    }

    /**
     * Ready when an HTTP GET of a path answers with a status below 500.
     *
     * @param port the port, 1 to 65535
     * @param path the path, starting with {@code /}
     */
    record Http(int port, String path) implements Readiness {
        /** Validates the port and path. */
        public Http {
            SpriteSpec.requirePort("readiness.port", port);
            if (path == null || !path.startsWith("/") || path.chars().anyMatch(c -> c <= ' ' || c == 127)) {
                throw new InvalidSpecException("readiness.path", "Invalid readiness path '" + Names.printable(path) + "'.",
                        "Use an absolute path without spaces or control characters, e.g. \"/health\".");
            }
        }
    }

    /**
     * Ready when a command run in the sprite exits with status 0.
     *
     * @param argv the command, as an argument vector (never a shell string)
     */
    record Command(List<String> argv) implements Readiness {
        /** Validates and copies the command. */
        public Command {
            argv = ExecRequest.requireArgv(argv);
        }
    }

    /**
     * Ready when every one of several checks is.
     *
     * @param checks the checks, in the order they are tried
     */
    record All(List<Readiness> checks) implements Readiness {
        /** Copies the list. */
        public All {
            checks = List.copyOf(checks);
        }
    }

    /** @param port a port; @return readiness on a TCP port */
    static Readiness port(int port) {
        return new Port(port);
    }

    /** @param port a port; @param path an HTTP path; @return readiness on an HTTP answer */
    static Readiness http(int port, String path) {
        return new Http(port, path);
    }

    /** @param argv a command; @return readiness on a command's success */
    static Readiness command(String... argv) {
        return new Command(List.of(argv));
    }

    /** @param checks several checks; @return readiness when all of them pass */
    static Readiness all(Readiness... checks) {
        return new All(List.of(checks));
    }
}
