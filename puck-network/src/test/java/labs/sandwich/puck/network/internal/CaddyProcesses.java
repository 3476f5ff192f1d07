package labs.sandwich.puck.network.internal;

import java.nio.file.Path;

/** For tests: the Caddy a test's Puck started, found by its config file, never by name, so other people's Caddy processes are left alone. */
public final class CaddyProcesses {
    private CaddyProcesses() {}

    /** @param caddyDir the test's {@code caddy.dir}: the Caddy running from its config is stopped, and waited for */
    public static void stop(Path caddyDir) {
        String config = caddyDir.resolve("caddy.json").toString();
        ProcessHandle.allProcesses().filter(h -> h.info().commandLine().map(c -> c.contains("caddy run --config " + config)).orElse(false))
                .forEach(h -> {
                    h.destroy();
                    h.onExit().join();
                });
    }
}
