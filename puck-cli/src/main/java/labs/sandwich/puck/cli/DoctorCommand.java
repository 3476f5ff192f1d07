package labs.sandwich.puck.cli;

import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import labs.sandwich.puck.Puck;
import labs.sandwich.puck.api.Capability;
import labs.sandwich.puck.api.PuckException;
import labs.sandwich.puck.core.internal.StateStore;
import picocli.CommandLine.Command;

/** {@code puck doctor}: checks everything Puck needs, one line each, with the fix. */
@Command(name = "doctor", description = "Check Java, the store, the runtime (Podman, CRIU), Caddy and the daemon, and print each fix.")
final class DoctorCommand extends Base {
    record Check(String name, String status, String detail, String fix) {}

    @Override
    boolean needsPuck() {
        return false;
    }

    @Override
    int run(Puck unused) {
        List<Check> checks = new ArrayList<>();
        checks.add(new Check("java", "ok", "Java " + Runtime.version() + " at " + System.getProperty("java.home"), ""));
        try (StateStore store = StateStore.open(global.storeFile(), Clock.systemUTC())) {
            checks.add(new Check("store", "ok", store.file() + " (" + store.sprites().size() + " sprites)", ""));
        } catch (PuckException e) {
            checks.add(new Check("store", "FAIL", e.problem(), e.remedy().orElse("")));
        }
        try (Puck puck = global.open()) {
            checks.add(new Check("runtime", "ok", puck.runtimeName() + ", can " + puck.capabilities().stream().map(Enum::name).sorted().toList(), ""));
            for (Capability c : List.of(Capability.HIBERNATE, Capability.PAUSE, Capability.SNAPSHOT)) {
                if (!puck.capabilities().contains(c)) {
                    checks.add(new Check(c.name().toLowerCase(java.util.Locale.ROOT), "WARN", puck.runtimeName() + " cannot " + c.description(),
                            "See `puck doctor --debug` and docs/podman.md; on this project's machines scripts/host-setup.sh installs CRIU."));
                }
            }
            boolean monitor = puck.idleMonitorRunning();
            var pid = DaemonCommand.running(global);
            if (pid.isPresent()) {
                checks.add(new Check("daemon", "ok", "puckd runs (pid " + pid.get() + ")" + (monitor ? " and watches idle sprites" : ""), ""));
            } else {
                checks.add(new Check("daemon", "WARN", "puckd is not running" + (monitor ? "; another process's idle monitor serves the store"
                        : ": idle sprites do not sleep by themselves"), "puck daemon start"));
            }
        } catch (PuckException e) {
            checks.add(new Check("runtime", "FAIL", e.problem(), e.remedy().orElse("")));
        }
        checks.add(caddy());
        if (global.json) {
            Out.json(out(), checks.stream().map(c -> (Object) Out.map("check", c.name(), "status", c.status(), "detail", c.detail(), "fix", c.fix())).toList());
        } else {
            for (Check c : checks) {
                out().printf("%-5s %-9s %s%n", c.status(), c.name(), c.detail());
                if (!c.fix().isEmpty()) {
                    out().printf("      %-9s fix: %s%n", "", c.fix());
                }
            }
            out().flush();
        }
        return checks.stream().anyMatch(c -> c.status().equals("FAIL")) ? ExitCodes.FAILED : ExitCodes.OK;
    }

    private static Check caddy() {
        try {
            Process p = new ProcessBuilder("caddy", "version").redirectErrorStream(true).start();
            String v = new String(p.getInputStream().readAllBytes()).strip();
            return p.waitFor() == 0 ? new Check("caddy", "ok", "Caddy " + v.split("\\s+")[0], "")
                    : new Check("caddy", "WARN", "caddy version failed: " + v, "sudo scripts/host-setup.sh");
        } catch (IOException e) {
            return new Check("caddy", "WARN", "Caddy is not installed (needed for <name>.localhost URLs)", "sudo scripts/host-setup.sh");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Check("caddy", "WARN", "interrupted", "");
        }
    }

}
