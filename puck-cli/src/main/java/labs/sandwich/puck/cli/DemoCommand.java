package labs.sandwich.puck.cli;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import labs.sandwich.puck.Puck;
import labs.sandwich.puck.api.Capability;
import labs.sandwich.puck.api.DeletePolicy;
import labs.sandwich.puck.api.ExecRequest;
import labs.sandwich.puck.api.SleepPolicy;
import labs.sandwich.puck.api.Snapshot;
import labs.sandwich.puck.api.Sprite;
import labs.sandwich.puck.api.SpriteSpec;
import labs.sandwich.puck.api.SpriteState;
import labs.sandwich.puck.api.UnsupportedCapabilityException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code puck demo}: the whole story on this machine, timed. A sprite is created, a Debian
 * package installed in it, a process started that holds a counter in memory; the sprite
 * hibernates (no process, no RAM), wakes with the counter where it was, is snapshotted, and the
 * snapshot forked into a second sprite that carries the package and the counter on.
 */
@Command(name = "demo", description = "Show the whole story on this machine: create, install, hibernate, wake, snapshot, fork, with timings.")
final class DemoCommand extends Base {
    static final String COUNTER = """
            import http.server
            n = [0]
            class H(http.server.BaseHTTPRequestHandler):
                def do_GET(self):
                    n[0] += 1
                    self.send_response(200)
                    self.end_headers()
                    self.wfile.write(str(n[0]).encode())
                def log_message(self, *a):
                    pass
            http.server.HTTPServer(("127.0.0.1", 8080), H).serve_forever()
            """;

    @Option(names = "--name", paramLabel = "NAME", description = "The demo sprite's name (default puck-demo; its fork is NAME-fork).")
    String name = "puck-demo";

    @Option(names = "--package", paramLabel = "PKG", description = "The Debian package to install (default jq).")
    String pkg = "jq";

    @Option(names = "--keep", description = "Keep both sprites afterwards.")
    boolean keep;

    private final List<Map<String, Object>> steps = new ArrayList<>();
    private int step;

    @Override
    int run(Puck puck) throws Exception {
        if (!pkg.matches("[a-z0-9][a-z0-9+.-]{0,99}")) {
            throw new labs.sandwich.puck.api.InvalidSpecException("--package", "'" + pkg.replaceAll("\\p{Cntrl}", "?") + "' is not a Debian package name.",
                    "Use lower-case letters, digits and + - . as Debian does, e.g. jq.");
        }
        long start = System.nanoTime();
        String fork = name + "-fork";
        say("puck demo: the whole story on this machine (" + puck.runtimeName() + ", store " + puck.storeFile() + ")");
        for (Capability c : List.of(Capability.HIBERNATE, Capability.SNAPSHOT, Capability.FORK)) {
            if (!puck.capabilities().contains(c)) {
                throw new UnsupportedCapabilityException(c, puck.runtimeName(), "run `puck doctor` for the reason and the fix");
            }
        }
        for (String n : List.of(fork, name)) {
            puck.find(n).ifPresent(old -> timed("clean", "deleted " + n + " left by an earlier demo", () -> {
                old.delete(DeletePolicy.PURGE);
                return "";
            }));
        }
        Sprite s = timed("create", "sprite " + name + " on " + SpriteSpec.named(name).image().reference(),
                () -> puck.create(SpriteSpec.named(name).withSleep(SleepPolicy.NEVER)));
        try {
            String version = timed("install", "apt-get install " + pkg + " in the sprite", () -> {
                run(s, Duration.ofMinutes(10), "apt-get", "update", "-qq");
                run(s, Duration.ofMinutes(10), "apt-get", "install", "-y", "-qq", pkg);
                return version(s);
            });
            note(pkg + " says: " + version);
            long first = timed("process", "a Python server holding a counter in memory", () -> {
                s.writeFile("/root/counter.py", COUNTER.getBytes(StandardCharsets.UTF_8));
                sh(s, "nohup python3 /root/counter.py >/dev/null 2>&1 &", Duration.ofSeconds(30));
                return counter(s);
            });
            long second = counter(s);
            note("the counter says " + first + ", then " + second);
            long[] mem = memory(s);
            note("RAM in use by its processes: " + Out.bytes(mem[0]) + " (plus " + Out.bytes(mem[1]) + " of page cache; its memory cgroup)");
            timed("hibernate", "memory checkpointed to disk", () -> {
                s.hibernate();
                return s.state();
            });
            note("state " + s.state() + "; no process of it runs, so it uses no RAM" + status(s));
            long third = timed("wake", "restored from the checkpoint", () -> {
                s.wake();
                return counter(s);
            });
            check(third == second + 1, "the counter said " + third + " after waking, expected " + (second + 1));
            note("the counter says " + third + " (it said " + second + " before): the process and its memory came back");
            note(pkg + " is still installed: " + version(s));
            Snapshot snap = timed("snapshot", "memory, files and volumes, with a SHA-256", () -> s.snapshot("demo"));
            note("snapshot " + snap.id().value() + ": " + Out.bytes(snap.sizeBytes()) + ", sha256 " + snap.sha256().substring(0, 16) + "…");
            Sprite f = timed("fork", "a new sprite " + fork + " from the snapshot", () -> s.fork(snap, fork));
            try {
                long forked = counter(f);
                check(forked == third + 1, "the fork's counter said " + forked + ", expected " + (third + 1));
                note(fork + ": counter " + forked + " (carried on from the snapshot), " + pkg + ": "
                        + version(f));
                note(name + ": counter " + counter(s) + " (the two sprites now live separate lives)");
            } finally {
                if (!keep) {
                    f.delete(DeletePolicy.PURGE);
                }
            }
        } finally {
            if (!keep) {
                s.delete(DeletePolicy.PURGE);
            }
        }
        Duration total = Duration.ofNanos(System.nanoTime() - start);
        if (global.json) {
            Out.json(out(), Out.map("steps", steps, "totalMs", total.toMillis(), "kept", keep));
        } else {
            say((keep ? "kept " + name + " and " + fork + " (try `puck console " + name + "`); " : "deleted both sprites (--keep keeps them); ")
                    + "done in " + Out.human(total));
        }
        return ExitCodes.OK;
    }

    private <T> T timed(String what, String description, Supplier<T> action) {
        long t = System.nanoTime();
        T result = action.get();
        long took = ms(t);
        step++;
        steps.add(Out.map("step", what, "description", description, "tookMs", took));
        say(String.format(java.util.Locale.ROOT, "%2d. %-10s %-58s %8s", step, what, description, Out.human(Duration.ofMillis(took))));
        return result;
    }

    private void note(String line) {
        steps.getLast().merge("notes", new ArrayList<>(List.of(line)), (a, b) -> {
            @SuppressWarnings("unchecked")
            List<String> l = (List<String>) a;
            l.add(line);
            return l;
        });
        say("              " + line);
    }

    private void say(String line) {
        if (!global.json) {
            out().println(line);
            out().flush();
        }
    }

    private static void check(boolean ok, String problem) {
        if (!ok) {
            throw new IllegalStateException("demo failed: " + problem);
        }
    }

    /** Runs an argv (the package name never reaches a shell), quietly, failing on a non-zero exit. */
    private static void run(Sprite s, Duration timeout, String... argv) {
        s.exec(ExecRequest.of(argv).withEnv("DEBIAN_FRONTEND", "noninteractive").withTimeout(timeout)).orThrow();
    }

    /** @return the first line of {@code <package> --version}: the program a Debian package of that name installs */
    private String version(Sprite s) {
        var r = s.exec(ExecRequest.of(pkg, "--version").withTimeout(Duration.ofMinutes(1)));
        String out = (r.stdout() + r.stderr()).strip();
        return out.isEmpty() ? "(exit " + r.exitCode() + ")" : out.lines().findFirst().orElse("");
    }

    private static String sh(Sprite s, String script, Duration timeout) {
        return s.exec(ExecRequest.of("sh", "-c", script).withTimeout(timeout)).orThrow().stdout().strip();
    }

    private static long counter(Sprite s) {
        for (int i = 0; i < 100; i++) {
            var r = s.exec("curl", "-sf", "http://127.0.0.1:8080/");
            if (r.succeeded()) {
                return Long.parseLong(r.stdout().strip());
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        throw new IllegalStateException("demo failed: the counter server in " + s.name() + " does not answer");
    }

    /** @return the sprite's anonymous memory and page cache, from its memory cgroup, read inside it (cgroup v2, else v1) */
    private static long[] memory(Sprite s) {
        String stat = sh(s, "cat /sys/fs/cgroup/memory.stat 2>/dev/null || cat /sys/fs/cgroup/memory/memory.stat", Duration.ofSeconds(30));
        long anon = 0;
        long file = 0;
        for (String line : stat.split("\n")) {
            String[] kv = line.strip().split("\s+");
            if (kv.length == 2) {
                switch (kv[0]) {
                    case "anon", "total_rss" -> anon = Long.parseLong(kv[1]);
                    case "file", "total_cache" -> file = Long.parseLong(kv[1]);
                    default -> { }
                }
            }
        }
        return new long[] {anon, file};
    }

    private static String status(Sprite s) {
        String st = s.inspect().attributes().get("podman.status");
        return st == null || s.state() != SpriteState.HIBERNATED ? "" : " (Podman: container " + st + ")";
    }
}
