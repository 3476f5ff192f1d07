package labs.sandwich.puck.network.internal;

import java.nio.file.Path;

/** For tests: the Caddy a test's Puck started, found by its config file, never by name, so other people's Caddy processes are left alone. */
public final class CaddyProcesses {
    private CaddyProcesses() {}

    /** @param caddyDir the test's {@code caddy.dir}: the Caddy running from its config is stopped, and waited for */
    public static void stop(Path caddyDir) {
        CaddyIngress.processes(caddyDir).forEach(h -> {
            h.destroy();
            h.onExit().join();
        });
    }

    /**
     * @param caddyDir the test's {@code caddy.dir}: its Caddy is stopped and the routes it had in
     *                 the kernel switch are forgotten, so that a test leaves nothing behind
     */
    public static void forget(Path caddyDir) {
        stop(caddyDir);
        KernelSwitch.forget(caddyDir);
    }

    /** @param caddyDir the test's {@code caddy.dir} @return the pid of the Caddy running from its config */
    public static long pid(Path caddyDir) {
        return CaddyIngress.processes(caddyDir).findFirst().orElseThrow(() -> new IllegalStateException("no Caddy runs from " + caddyDir)).pid();
    }
}
