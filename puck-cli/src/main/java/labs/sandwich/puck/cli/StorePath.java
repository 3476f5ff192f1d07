package labs.sandwich.puck.cli;

import java.nio.file.Path;
import java.util.Optional;

/** Which store a command uses, and the puckd files beside it; loads nothing else, so the thin client can use it. */
final class StorePath {
    private StorePath() {}

    /** @param option the {@code --store} option, if given @return the store file: the option, else puck.store, PUCK_STORE, the XDG default */
    static Path resolve(Optional<Path> option) {
        if (option.isPresent()) {
            return option.get().toAbsolutePath();
        }
        String prop = System.getProperty("puck.store");
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop).toAbsolutePath();
        }
        String env = System.getenv("PUCK_STORE");
        if (env != null && !env.isBlank()) {
            return Path.of(env).toAbsolutePath();
        }
        String xdg = System.getenv("XDG_DATA_HOME");
        Path base = xdg != null && Path.of(xdg).isAbsolute() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".local", "share");
        return base.resolve("puck").resolve("puck.db");
    }

    /** @return {@code <store>.puckd.<suffix>}: lock, pid, log, sock */
    static Path beside(Path store, String suffix) {
        return store.resolveSibling(store.getFileName() + ".puckd." + suffix);
    }
}
