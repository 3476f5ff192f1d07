package labs.sandwich.puck.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import labs.sandwich.puck.Puck;
import labs.sandwich.puck.api.DeletePolicy;
import labs.sandwich.puck.api.Sprite;
import labs.sandwich.puck.api.SpriteSpec;
import labs.sandwich.puck.podman.internal.ExecStream;
import labs.sandwich.puck.podman.internal.PodmanClient;
import labs.sandwich.puck.podman.internal.libpod.model.ExecCreateConfig;
import labs.sandwich.puck.podman.internal.libpod.model.SpecGenerator;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import labs.sandwich.puck.testkit.Workloads;

/**
 * Puck against its baselines, in one run and on the same machine: every operation is timed
 * through Puck, as the same libpod REST call made directly, and as the podman CLI, with the
 * three interleaved so they share conditions. Each sprite runs a python server whose counter
 * lives in memory, checked at the end so a fast but wrong hibernate cannot pass.
 */
public final class Bench {
    private static final Path SOCKET = Path.of("/run/podman/podman.sock");

    private final Map<String, Map<String, List<Double>>> samples = new LinkedHashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    public static void main(String[] args) throws Exception {
        int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        Path report = Path.of(args.length > 1 ? args[1] : "bench/REPORT.md");
        new Bench().run(iterations, report);
    }

    private void run(int iterations, Path report) throws Exception {
        Path dir = Files.createTempDirectory("puck-bench");
        String tag = Long.toHexString(System.nanoTime() & 0xffffff);
        String viaPuck = "bench-puck-" + tag, viaRest = "bench-rest-" + tag, viaCli = "bench-cli-" + tag;
        List<String> made = new ArrayList<>();
        String memory;
        try (Puck puck = Puck.builder().store(dir.resolve("puck.db")).build(); PodmanClient raw = new PodmanClient(SOCKET)) {
            for (String n : List.of(viaPuck, viaRest, viaCli)) {
                Sprite s = puck.create(SpriteSpec.named(n));
                made.add(n);
                s.writeFile("/root/counter.py", Workloads.PYTHON_COUNTER_SERVER.getBytes(StandardCharsets.UTF_8));
                s.exec("sh", "-c", "nohup python3 /root/counter.py >/dev/null 2>&1 &").orThrow();
            }
            Sprite p = puck.get(viaPuck);
            awaitCounter(ip(p));
            awaitCounter(ip(puck.get(viaRest)));
            awaitCounter(ip(puck.get(viaCli)));
            memory = memoryEvidence(puck, p);
            long before = counter(ip(p));
            for (int i = -3; i < iterations; i++) {
                boolean keep = i >= 0;
                int turn = i + 3; // who goes first rotates, so no side always follows the others' disk writes
                trio(keep, turn, "hibernate", p::hibernate,
                        () -> post(raw, "/containers/puck-" + viaRest + "/checkpoint?tcpEstablished=true&fileLocks=true"),
                        () -> cli("podman", "container", "checkpoint", "--tcp-established", "--file-locks", "puck-" + viaCli));
                trio(keep, turn, "wake", p::wake,
                        () -> post(raw, "/containers/puck-" + viaRest + "/restore?tcpEstablished=true&fileLocks=true"),
                        () -> cli("podman", "container", "restore", "--tcp-established", "--file-locks", "puck-" + viaCli));
                trio(keep, turn, "pause", p::pause,
                        () -> post(raw, "/containers/puck-" + viaRest + "/pause"),
                        () -> cli("podman", "pause", "puck-" + viaCli));
                trio(keep, turn, "unpause", p::wake,
                        () -> post(raw, "/containers/puck-" + viaRest + "/unpause"),
                        () -> cli("podman", "unpause", "puck-" + viaCli));
                if (i < Math.min(iterations, 10)) {
                    String n = "bench-new-" + tag + "-" + (i + 3);
                    time(keep, "create → first exec", "puck", () -> puck.create(n).exec("true").orThrow());
                    time(keep, "create → first exec", "rest", () -> createAndExec(raw, n + "-r"));
                    time(keep, "create → first exec", "cli", () -> {
                        cli("podman", "run", "-d", "--name", "puck-" + n + "-c", "localhost/puck/base:bookworm");
                        cli("podman", "exec", "puck-" + n + "-c", "true");
                    });
                    puck.get(n).delete(DeletePolicy.PURGE);
                    raw.containers().containerDelete("puck-" + n + "-r", true, true, 0, false);
                    raw.containers().containerDelete("puck-" + n + "-c", true, true, 0, false);
                }
            }
            long after = counter(ip(p));
            if (after != before + 1) {
                throw new IllegalStateException("memory did not survive: counter went from " + before + " to " + after);
            }
            for (String n : made) {
                puck.get(n).delete(DeletePolicy.PURGE);
            }
        }
        String text = report(iterations, memory);
        Files.writeString(report, text);
        System.out.println(text);
    }

    /** Times one operation three ways, starting with a different one each turn. */
    private void trio(boolean keep, int turn, String op, Task puck, Task rest, Task cli) throws Exception {
        String[] names = {"puck", "rest", "cli"};
        Task[] tasks = {puck, rest, cli};
        for (int k = 0; k < 3; k++) {
            int j = (turn + k) % 3;
            time(keep, op, names[j], tasks[j]);
        }
    }

    private void time(boolean keep, String op, String how, Task task) throws Exception {
        long t0 = System.nanoTime();
        task.run();
        double ms = (System.nanoTime() - t0) / 1e6;
        if (keep) {
            samples.computeIfAbsent(op, k -> new LinkedHashMap<>()).computeIfAbsent(how, k -> new ArrayList<>()).add(ms);
        }
    }

    private interface Task {
        void run() throws Exception;
    }

    static void post(PodmanClient raw, String path) throws IOException {
        raw.http().execute(new HttpPost(PodmanClient.BASE + path), r -> {
            String body = r.getEntity() == null ? "" : EntityUtils.toString(r.getEntity());
            if (r.getCode() >= 300) {
                throw new IOException(path + ": HTTP " + r.getCode() + " " + body);
            }
            return null;
        });
    }

    private static void createAndExec(PodmanClient raw, String name) throws Exception {
        raw.containers().containerCreate(new SpecGenerator().name("puck-" + name).image("localhost/puck/base:bookworm"));
        raw.containers().containerStart("puck-" + name);
        String id = raw.exec().containerExec("puck-" + name, new ExecCreateConfig().cmd(List.of("true")).attachStdout(true).attachStderr(true)).getId();
        try (ExecStream s = ExecStream.start(SOCKET, id)) {
            s.readToEnd();
        }
    }

    private static void cli(String... argv) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
        pb.environment().put("PODMAN_IGNORE_CGROUPSV1_WARNING", "1");
        Process proc = pb.start();
        String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (proc.waitFor() != 0) {
            throw new IOException(String.join(" ", argv) + " failed: " + out);
        }
    }

    private static String ip(Sprite s) {
        return s.inspect().attributes().get("ip");
    }

    private long counter(String ip) throws IOException, InterruptedException {
        return Long.parseLong(http.send(HttpRequest.newBuilder(URI.create("http://" + ip + ":8080/")).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString()).body().strip());
    }

    private void awaitCounter(String ip) throws Exception {
        for (int i = 0; i < 200; i++) {
            try {
                counter(ip);
                return;
            } catch (IOException e) {
                Thread.sleep(50);
            }
        }
        throw new IllegalStateException("the counter server at " + ip + " never answered");
    }

    /** The sprite's memory cgroup before and after hibernation: what "RAM freed" means, measured. */
    private static String memoryEvidence(Puck puck, Sprite s) throws IOException {
        String id = s.inspect().attributes().get("container.id");
        Path cg = Path.of("/sys/fs/cgroup/memory/libpod_parent/libpod-" + id, "memory.usage_in_bytes");
        String before = Files.exists(cg) ? mib(Long.parseLong(Files.readString(cg).strip())) : "(cgroup " + cg + " not found)";
        s.hibernate();
        String after = Files.exists(cg) ? mib(Long.parseLong(Files.readString(cg).strip())) : "0 MiB (its memory cgroup is gone)";
        s.wake();
        return "Memory cgroup of a running sprite with a python server: " + before + "; hibernated: " + after + ".";
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }

    private String report(int iterations, String memory) {
        StringBuilder b = new StringBuilder();
        b.append("# Benchmark report\n\n");
        b.append("Run ").append(Instant.now()).append(" on ").append(Runtime.getRuntime().availableProcessors()).append(" cores, ")
                .append(System.getProperty("os.name")).append(' ').append(System.getProperty("os.version")).append(", Java ")
                .append(Runtime.version()).append(". ").append(iterations).append(" measured iterations after 3 warm-ups (create: up to 10), ")
                .append("Puck, the raw libpod REST call and the podman CLI interleaved. Times in ms.\n\n");
        b.append("| operation | Puck p50 | Puck p95 | REST p50 | REST p95 | CLI p50 | CLI p95 | Puck ÷ REST (p50) | Puck ÷ CLI (p50) |\n");
        b.append("|---|---|---|---|---|---|---|---|---|\n");
        samples.forEach((op, by) -> {
            double pp50 = pct(by.get("puck"), 50), rp50 = pct(by.get("rest"), 50), cp50 = pct(by.get("cli"), 50);
            b.append(String.format(Locale.ROOT, "| %s | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.3f | %.3f |%n", op, pp50, pct(by.get("puck"), 95),
                    rp50, pct(by.get("rest"), 95), cp50, pct(by.get("cli"), 95), pp50 / rp50, pp50 / cp50));
        });
        b.append("\n").append(memory).append("\n\nThe in-memory counter of the Puck-driven sprite continued across every hibernate/wake and pause/unpause (checked at the end).\n");
        b.append("\nReproduce: `sudo bench/run [iterations]`.\n");
        return b.toString();
    }

    static double pct(List<Double> xs, int p) {
        List<Double> s = xs.stream().sorted().toList();
        int i = (int) Math.ceil(p / 100.0 * s.size()) - 1;
        return s.get(Math.max(0, Math.min(s.size() - 1, i)));
    }
}
