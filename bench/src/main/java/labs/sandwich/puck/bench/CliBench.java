package labs.sandwich.puck.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The terminal story, timed as a person sees it: from typing {@code puck console NAME} for a
 * hibernated sprite to its shell's prompt, on a real PTY (script(1)). Three ways, interleaved:
 * the {@code ./puck} command handing the console to a running puckd; the same command with no
 * puckd (a cold JVM opens the runtime itself); and the podman CLI ({@code podman container
 * restore} then {@code podman exec -it … bash}), the baseline. Also {@code puck exec NAME -- true}
 * on a hibernated sprite, via puckd, against {@code podman container restore} + {@code podman exec}.
 */
public final class CliBench {
    private final Map<String, Map<String, List<Double>>> samples = new LinkedHashMap<>();

    public static void main(String[] args) throws Exception {
        int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        Path report = Path.of(args.length > 1 ? args[1] : "bench/REPORT-cli.md");
        new CliBench().run(iterations, report);
    }

    private void run(int iterations, Path report) throws Exception {
        Path dir = Files.createTempDirectory("puck-cli-bench");
        Map<String, String> env = Map.of("PUCK_STORE", dir.resolve("puck.db").toString(), "PUCK_DAEMON", "on");
        Map<String, String> local = Map.of("PUCK_STORE", dir.resolve("puck.db").toString(), "PUCK_DAEMON", "off");
        String tag = Long.toHexString(System.nanoTime() & 0xffffff);
        String viaPuck = "bench-cli-puck-" + tag, viaPodman = "bench-cli-podman-" + tag;
        try {
            run(env, "./puck", "create", viaPuck);
            run(env, "./puck", "create", viaPodman, "--idle-timeout", "0"); // podman drives it from here on; puckd leaves it alone
            run(env, "./puck", "daemon", "start");
            for (int i = -2; i < iterations; i++) {
                boolean keep = i >= 0;
                run(env, "./puck", "hibernate", viaPuck);
                sample(keep, "console → prompt", "puckd", toPrompt(env, "./puck console " + viaPuck));
                run(env, "./puck", "hibernate", viaPuck);
                sample(keep, "console → prompt", "no puckd", toPrompt(local, "./puck console " + viaPuck));
                run(env, "podman", "container", "checkpoint", "puck-" + viaPodman);
                sample(keep, "console → prompt", "podman", toPrompt(env, "podman container restore puck-" + viaPodman + " >/dev/null && podman exec -it puck-"
                        + viaPodman + " bash"));
                run(env, "./puck", "hibernate", viaPuck);
                long t = System.nanoTime();
                run(env, "./puck", "exec", viaPuck, "--", "true");
                sample(keep, "exec true (hibernated)", "puckd", ms(t));
                run(env, "podman", "container", "checkpoint", "puck-" + viaPodman);
                t = System.nanoTime();
                run(env, "podman", "container", "restore", "puck-" + viaPodman);
                run(env, "podman", "exec", "puck-" + viaPodman, "true");
                sample(keep, "exec true (hibernated)", "podman", ms(t));
            }
        } finally {
            run(env, "./puck", "daemon", "stop");
            for (String n : List.of(viaPuck, viaPodman)) {
                run(local, "./puck", "delete", "--purge", "--force", n);
            }
        }
        String text = report(iterations);
        Files.writeString(report, text);
        System.out.print(text);
    }

    private void sample(boolean keep, String op, String who, double ms) {
        if (keep) {
            samples.computeIfAbsent(op, k -> new LinkedHashMap<>()).computeIfAbsent(who, k -> new ArrayList<>()).add(ms);
        }
    }

    /** @return ms from starting the command on a PTY to the shell's prompt ("root@…# ") in its output */
    private static double toPrompt(Map<String, String> env, String command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("script", "-qfec", command, "/dev/null").redirectErrorStream(true);
        pb.environment().putAll(env);
        long t = System.nanoTime();
        Process p = pb.start();
        InputStream out = p.getInputStream();
        StringBuilder seen = new StringBuilder();
        double took = -1;
        for (int c; (c = out.read()) >= 0; ) {
            seen.append((char) c);
            if (seen.length() > 3 && seen.indexOf("root@") >= 0 && seen.toString().endsWith("# ")) {
                took = ms(t);
                break;
            }
        }
        p.getOutputStream().write("exit\n".getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().flush();
        out.transferTo(java.io.OutputStream.nullOutputStream());
        if (!p.waitFor(30, TimeUnit.SECONDS) || took < 0) {
            p.destroyForcibly();
            throw new IOException("no prompt from `" + command + "`: " + seen);
        }
        return took;
    }

    private static void run(Map<String, String> env, String... argv) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
        pb.environment().putAll(env);
        pb.environment().put("PODMAN_IGNORE_CGROUPSV1_WARNING", "1");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0 && !argv[1].equals("delete")) {
            throw new IOException(String.join(" ", argv) + " failed: " + out);
        }
    }

    private static double ms(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e6;
    }

    private String report(int iterations) {
        StringBuilder b = new StringBuilder("# CLI benchmark report\n\n");
        b.append("Run ").append(Instant.now()).append(" on ").append(Runtime.getRuntime().availableProcessors()).append(" cores, ").append(System.getProperty("os.name"))
                .append(' ').append(System.getProperty("os.version")).append(". ").append(iterations)
                .append(" measured iterations after 2 warm-ups, interleaved; each starts from a hibernated sprite. Times in ms, wall clock, as a person at a terminal sees them ")
                .append("(`./puck` itself included: its JVM, the hand-off to puckd, the wake, the PTY).\n\n");
        b.append("| operation | way | p50 | p95 | ÷ podman (p50) |\n|---|---|---|---|---|\n");
        samples.forEach((op, by) -> {
            double base = Bench.pct(by.get("podman"), 50);
            by.forEach((who, xs) -> b.append(String.format(Locale.ROOT, "| %s | %s | %.0f | %.0f | %.2f |%n", op, who, Bench.pct(xs, 50), Bench.pct(xs, 95),
                    Bench.pct(xs, 50) / base)));
        });
        b.append("\n`puckd`: `./puck` hands the command to the running puckd (docs/cli.md); `no puckd`: PUCK_DAEMON=off, the JVM opens the runtime itself; ")
                .append("`podman`: `podman container restore` then `podman exec -it … bash` (or `… true`).\n\nReproduce: `sudo bench/run [iterations]`.\n");
        return b.toString();
    }
}
