package labs.sandwich.puck.cli;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import labs.sandwich.puck.Puck;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code puck daemon}: {@code puckd}, the process that owns the idle monitor for a store. One
 * runs per store (a lock file beside it, {@code <store>.puckd.lock}, with the pid in
 * {@code <store>.puckd.pid}); it starts on demand ({@code puck create} starts it) or as a
 * systemd unit, shuts down cleanly on SIGTERM, and touches no sprite when it starts or stops.
 * It also runs the sprite commands that {@code puck} clients hand it ({@link HandoffServer}).
 */
@Command(name = "daemon", description = "Run, start, stop or install puckd, which puts idle sprites to sleep.",
        subcommands = {DaemonCommand.Run.class, DaemonCommand.Start.class, DaemonCommand.Stop.class, DaemonCommand.Status.class, DaemonCommand.Install.class})
final class DaemonCommand {
    private DaemonCommand() {}

    static Path lockFile(Global g) {
        return StorePath.beside(g.storeFile(), "lock");
    }

    static Path pidFile(Global g) {
        return StorePath.beside(g.storeFile(), "pid");
    }

    static Path logFile(Global g) {
        return StorePath.beside(g.storeFile(), "log");
    }

    /** @return the pid of the puckd serving this store, if one runs (it holds the lock) */
    /** The store this process serves as puckd, if it is puckd. */
    private static volatile Path serving;

    static Optional<Long> running(Global g) {
        if (g.storeFile().equals(serving)) {
            // Asked inside puckd (a command it runs for a client): opening and closing the lock file here would
            // drop this process's own lock, which POSIX ties to the process, not to the channel.
            return Optional.of(ProcessHandle.current().pid());
        }
        Path lock = lockFile(g);
        if (!Files.exists(lock)) {
            return Optional.empty();
        }
        try (FileChannel ch = FileChannel.open(lock, StandardOpenOption.WRITE)) {
            FileLock l = ch.tryLock();
            if (l != null) {
                l.release();
                return Optional.empty(); // nobody holds it: a pid file left there is stale
            }
        } catch (IOException | java.nio.channels.OverlappingFileLockException e) {
            // held by this very process (a test running puckd in-process) or unreadable: go by the pid file
        }
        try {
            return Optional.of(Long.parseLong(Files.readAllLines(pidFile(g)).getFirst().strip()));
        } catch (IOException | NumberFormatException e) {
            return Optional.of(-1L);
        }
    }

    /** Starts puckd for the store unless it runs or PUCK_DAEMON=off; reports through {@code progress}. */
    static void ensureRunning(Global g, Consumer<String> progress) {
        if ("off".equalsIgnoreCase(System.getenv("PUCK_DAEMON")) || running(g).isPresent()) {
            return;
        }
        try {
            long pid = start(g);
            progress.accept("started puckd (pid " + pid + "): idle sprites now sleep by themselves; `puck daemon stop` stops it");
        } catch (IOException | RuntimeException e) {
            progress.accept("could not start puckd (" + e.getMessage() + "): idle sprites sleep only when asked; see `puck doctor`");
        }
    }

    /** After the store's first exposure: a running puckd without the ingress is restarted, so that it serves the activator and syncs routes. */
    static void ensureRunningWithIngress(Global g, Consumer<String> progress) {
        Optional<Long> pid = running(g);
        if (pid.isPresent()) {
            try {
                List<String> lines = Files.readAllLines(pidFile(g));
                if (lines.size() > 1 && !lines.get(1).strip().equals("none")) {
                    return;
                }
            } catch (IOException e) {
                return;
            }
            ProcessHandle.of(pid.get()).ifPresent(h -> {
                h.destroy();
                awaitExit(h, java.time.Duration.ofSeconds(30));
            });
            progress.accept("restarting puckd so that it serves the URLs of sleeping sprites");
        }
        ensureRunning(g, progress);
    }

    /** Starts a detached puckd and waits until it holds the lock. @return its pid */
    static long start(Global g) throws IOException {
        Path jar = jar().orElseThrow(() -> new IOException("puck does not run from its jar, so puckd cannot be started from it"));
        List<String> command = new ArrayList<>();
        if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
            command.add("/usr/bin/setsid"); // its own session: a Ctrl-C in the terminal that started it does not reach it
        }
        command.addAll(List.of(ProcessHandle.current().info().command().orElse("java"), "--enable-native-access=ALL-UNNAMED",
                "-jar", jar.toString(), "daemon", "run", "--store", g.storeFile().toString()));
        if (g.runtime != null) {
            command.addAll(List.of("--runtime", g.runtime));
        }
        Files.createDirectories(g.storeFile().getParent());
        Process p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile(g).toFile())).redirectErrorStream(true).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            Optional<Long> pid = running(g);
            if (pid.isPresent() && pid.get() > 0) {
                return pid.get();
            }
            if (!p.isAlive() && !ProcessHandle.of(p.pid()).map(ProcessHandle::isAlive).orElse(false) && running(g).isEmpty()) {
                break;
            }
            sleep(100);
        }
        throw new IOException("puckd did not start; its log " + logFile(g) + " says: " + tail(logFile(g)));
    }

    static Optional<Path> jar() {
        try {
            Path p = Path.of(DaemonCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return Files.isRegularFile(p) && p.toString().endsWith(".jar") ? Optional.of(p) : Optional.empty();
        } catch (java.net.URISyntaxException | SecurityException e) {
            return Optional.empty();
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Command(name = "run", description = "Run puckd in the foreground (what systemd and `daemon start` run).")
    static final class Run extends Base {
        @Option(names = "--interval", paramLabel = "TIME", description = "Time between idle checks (default 1s).")
        String interval = "1s";

        @Override
        boolean needsPuck() {
            return false;
        }

        @Override
        int run(Puck unused) throws Exception {
            Duration every = Parse.duration("--interval", interval);
            Files.createDirectories(global.storeFile().getParent());
            try (FileChannel ch = FileChannel.open(lockFile(global), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                FileLock lock = ch.tryLock();
                if (lock == null) {
                    err().println("puck: puckd already runs for " + global.storeFile() + " (pid " + running(global).orElse(-1L) + "); nothing to do.");
                    err().flush();
                    return ExitCodes.STATE;
                }
                serving = global.storeFile();
                CountDownLatch stopped = new CountDownLatch(1);
                Puck puck = global.builder().monitorIdle(true).monitorInterval(every).build();
                HandoffServer handoff = HandoffServer.start(global.storeFile(), puck);
                // The second line says which ingress it routes through: `puck expose` restarts a puckd that has none.
                Files.writeString(pidFile(global), ProcessHandle.current().pid() + "\n" + puck.ingressName().orElse("none") + "\n");
                Thread cleanup = new Thread(() -> {
                    try {
                        handoff.close();
                        puck.close(); // gives the monitor's lease up: another monitor may take over at once
                    } finally {
                        try {
                            Files.deleteIfExists(pidFile(global));
                        } catch (IOException ignored) {
                            // the lock, not the pid file, says whether puckd runs
                        }
                        stopped.countDown();
                    }
                }, "puckd-shutdown");
                Runtime.getRuntime().addShutdownHook(cleanup);
                err().println("puckd " + ProcessHandle.current().pid() + ": watching " + global.storeFile() + " on " + puck.runtimeName()
                        + ", every " + Out.human(every) + (puck.idleMonitorRunning() ? "" : " (waiting for another monitor's lease)"));
                err().flush();
                stopped.await();
                return ExitCodes.OK;
            }
        }
    }

    @Command(name = "start", description = "Start puckd in the background, unless it runs.")
    static final class Start extends Base {
        @Override
        boolean needsPuck() {
            return false;
        }

        @Override
        int run(Puck unused) throws IOException {
            Optional<Long> pid = running(global);
            long p = pid.isPresent() ? pid.get() : start(global);
            result((pid.isPresent() ? "puckd already runs (pid " : "started puckd (pid ") + p + "); log: " + logFile(global),
                    Out.map("pid", p, "started", pid.isEmpty(), "log", logFile(global).toString()));
            return ExitCodes.OK;
        }
    }

    @Command(name = "stop", description = "Stop puckd; sprites are not touched.")
    static final class Stop extends Base {
        @Override
        boolean needsPuck() {
            return false;
        }

        @Override
        int run(Puck unused) {
            Optional<Long> pid = running(global);
            if (pid.isEmpty()) {
                result("puckd is not running", Out.map("stopped", false));
                return ExitCodes.OK;
            }
            ProcessHandle h = ProcessHandle.of(pid.get()).orElse(null);
            if (h != null) {
                h.destroy(); // SIGTERM: it closes cleanly
                if (!awaitExit(h, java.time.Duration.ofSeconds(15))) {
                    h.destroyForcibly();
                }
            }
            result("stopped puckd (pid " + pid.get() + ")", Out.map("stopped", true, "pid", pid.get()));
            return ExitCodes.OK;
        }
    }

    @Command(name = "status", description = "Say whether puckd runs and whether any idle monitor serves the store.")
    static final class Status extends Base {
        @Override
        int run(Puck puck) {
            Optional<Long> pid = running(global);
            boolean monitor = puck.idleMonitorRunning();
            String text = (pid.isPresent() ? "puckd runs (pid " + pid.get() + ")" : "puckd is not running") + "; "
                    + (monitor ? "an idle monitor serves " : "no idle monitor serves ") + global.storeFile()
                    + (monitor ? "" : ": idle sprites sleep only when asked. Fix: puck daemon start");
            result(text, Out.map("running", pid.isPresent(), "pid", pid.orElse(null), "idleMonitor", monitor, "store", global.storeFile().toString()));
            return pid.isPresent() || monitor ? ExitCodes.OK : ExitCodes.FAILED;
        }
    }

    @Command(name = "install", description = "Install puckd as a systemd service (root), started at boot.")
    static final class Install extends Base {
        static final Path UNIT = Path.of("/etc/systemd/system/puckd.service");

        @Option(names = "--print", description = "Print the unit instead of installing it.")
        boolean print;

        @Override
        boolean needsPuck() {
            return false;
        }

        @Override
        int run(Puck unused) throws Exception {
            Path jar = jar().orElseThrow(() -> new IOException("puck does not run from its jar; build it with ./puck first"));
            String unit = """
                    [Unit]
                    Description=Puck daemon: puts idle sprites to sleep
                    After=network-online.target

                    [Service]
                    ExecStart=%s --enable-native-access=ALL-UNNAMED -jar %s daemon run --store %s
                    Restart=on-failure
                    KillSignal=SIGTERM

                    [Install]
                    WantedBy=multi-user.target
                    """.formatted(ProcessHandle.current().info().command().orElse("/usr/bin/java"), jar, global.storeFile());
            if (print) {
                out().print(unit);
                out().flush();
                return ExitCodes.OK;
            }
            if (!Files.isDirectory(Path.of("/run/systemd/system"))) {
                err().println("puck: systemd is not running on this machine, so puckd cannot be installed as a service. "
                        + "Fix: start it with `puck daemon start` (puck create does so), or run `puck daemon install --print` and adapt the unit to your init system.");
                err().flush();
                return ExitCodes.UNSUPPORTED;
            }
            Files.writeString(UNIT, unit);
            for (List<String> c : List.of(List.of("systemctl", "daemon-reload"), List.of("systemctl", "enable", "--now", "puckd.service"))) {
                Process p = new ProcessBuilder(c).inheritIO().start();
                if (p.waitFor() != 0) {
                    err().println("puck: `" + String.join(" ", c) + "` failed; the unit is at " + UNIT + ".");
                    err().flush();
                    return ExitCodes.FAILED;
                }
            }
            result("installed and started puckd.service (" + UNIT + ")", Out.map("unit", UNIT.toString()));
            return ExitCodes.OK;
        }
    }

    /**
     * Waits for a process that is not this JVM's child (puckd runs in its own session) to end,
     * polling: {@code ProcessHandle.onExit()} would first sleep 300 ms for such a process. A
     * process that has ended but is not yet reaped (a zombie: puckd's parent is init, and some
     * inits reap every second or two) has ended: its locks, files and sockets are gone.
     *
     * @return whether it ended within {@code max}
     */
    static boolean awaitExit(ProcessHandle h, java.time.Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        while (h.isAlive() && !zombie(h.pid())) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    /** @return whether the process has ended and waits to be reaped; false where there is no {@code /proc} */
    static boolean zombie(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            int name = stat.lastIndexOf(')'); // the state follows the command name, which may hold anything
            return name > 0 && stat.length() > name + 2 && stat.charAt(name + 2) == 'Z';
        } catch (IOException e) {
            return false;
        }
    }
}
